/*
 * tests/user/t_fb.c - memory-mapped hardware: /dev/fb0 (drivers/fb.c) is
 * QEMU's PCI display, its video RAM ioremap'ed write-combining into the
 * kernel (mm/ioremap.c). Linux's fbdev interface: the mode and the memory
 * through FBIOGET_*SCREENINFO, bytes through read/write at an offset, and
 * Linux's errors at the end of the video RAM. /proc/iomem shows the BARs,
 * /proc/vmallocinfo the two ioremaps.
 *
 * Natively: most machines (and this build host) have no /dev/fb0; then the
 * cases say so and pass.
 */
#include "testlib.h"

#include <sys/ioctl.h>

/* Linux's fbdev ABI (include/uapi/linux/fb.h; musl ships no linux/ headers). */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
#define FB_VISUAL_TRUECOLOR 2
struct fb_bitfield {
    uint32_t offset, length, msb_right;
};
struct fb_var_screeninfo {
    uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset, bits_per_pixel, grayscale;
    struct fb_bitfield red, green, blue, transp;
    uint32_t nonstd, activate, height, width, accel_flags, pixclock, left_margin, right_margin, upper_margin,
        lower_margin, hsync_len, vsync_len, sync, vmode, rotate, colorspace, reserved[4];
};
struct fb_fix_screeninfo {
    char id[16];
    unsigned long smem_start;
    uint32_t smem_len, type, type_aux, visual;
    uint16_t xpanstep, ypanstep, ywrapstep;
    uint32_t line_length;
    unsigned long mmio_start;
    uint32_t mmio_len, accel;
    uint16_t capabilities, reserved[2];
};

#define PATTERN_OFFSET (1 << 20)
#define PATTERN_BYTES 4096

static int open_fb(void) { return open("/dev/fb0", O_RDWR); }

#define SKIP_WITHOUT_FB(fd)                                                                                            \
    do {                                                                                                               \
        if ((fd) < 0 && errno == ENOENT && !on_pagewise()) {                                                           \
            out("# %s: no /dev/fb0 here: skipped\n", __func__);                                                       \
            return PASS;                                                                                               \
        }                                                                                                              \
    } while (0)

static const char *fb_mode_and_memory(void)
{
    int fd = open_fb();
    SKIP_WITHOUT_FB(fd);
    CHECK(fd >= 0, "open /dev/fb0: %s", errname(errno));
    struct fb_var_screeninfo v;
    struct fb_fix_screeninfo x;
    int rv = ioctl(fd, FBIOGET_VSCREENINFO, &v), rx = ioctl(fd, FBIOGET_FSCREENINFO, &x);
    close(fd);
    CHECK(rv == 0 && rx == 0, "FBIOGET_VSCREENINFO/FSCREENINFO: %s", errname(errno));
    CHECK(v.bits_per_pixel == 32 && v.xres > 0 && v.yres > 0, "mode %ux%u, %u bpp", v.xres, v.yres, v.bits_per_pixel);
    CHECK(x.line_length == v.xres * 4, "line_length %u for %u pixels of 4 bytes", x.line_length, v.xres);
    CHECK(x.smem_len >= x.line_length * v.yres, "video RAM %u bytes, a screen needs %u", x.smem_len,
          x.line_length * v.yres);
    CHECK(x.visual == FB_VISUAL_TRUECOLOR, "visual %u, want TRUECOLOR", x.visual);
    if (on_pagewise())
        CHECK(v.xres == 640 && v.yres == 480 && v.red.offset == 16 && v.blue.offset == 0,
              "mode %ux%u red at %u: want 640x480 XRGB8888", v.xres, v.yres, v.red.offset);
    return PASS;
}

/* Bytes written to the video RAM read back; the end of it gives Linux's
 * errors (ENOSPC at the end, EFBIG beyond, 0 bytes read at the end). */
static const char *fb_write_read_back(void)
{
    int fd = open_fb();
    SKIP_WITHOUT_FB(fd);
    CHECK(fd >= 0, "open /dev/fb0: %s", errname(errno));
    struct fb_fix_screeninfo x;
    CHECK_OK(ioctl(fd, FBIOGET_FSCREENINFO, &x));
    static uint8_t out_buf[PATTERN_BYTES], in_buf[PATTERN_BYTES];
    for (int i = 0; i < PATTERN_BYTES; i++)
        out_buf[i] = (uint8_t)(i * 13 + 7);
    ssize_t w = pwrite(fd, out_buf, sizeof(out_buf), PATTERN_OFFSET);
    ssize_t r = pread(fd, in_buf, sizeof(in_buf), PATTERN_OFFSET);
    errno = 0;
    ssize_t at_end = pwrite(fd, out_buf, 1, x.smem_len);
    int e_end = errno;
    errno = 0;
    ssize_t beyond = pwrite(fd, out_buf, 1, (off_t)x.smem_len + 1);
    int e_beyond = errno;
    ssize_t read_end = pread(fd, in_buf, 1, x.smem_len);
    close(fd);
    CHECK(w == PATTERN_BYTES && r == PATTERN_BYTES, "write %zd, read %zd bytes", w, r);
    CHECK(memcmp(out_buf, in_buf, PATTERN_BYTES) == 0, "the video RAM did not keep what we wrote");
    CHECK(at_end == -1 && e_end == ENOSPC, "a write at the end: %zd (%s), want ENOSPC", at_end, errname(e_end));
    CHECK(beyond == -1 && e_beyond == EFBIG, "a write beyond the end: %zd (%s), want EFBIG", beyond, errname(e_beyond));
    CHECK(read_end == 0, "a read at the end returned %zd, want 0", read_end);
    return PASS;
}

/* The BARs in /proc/iomem, the display's two ioremaps in /proc/vmallocinfo
 * (Pagewise's names; Linux's drivers name them differently). The local
 * APIC and the IO-APIC have theirs too, made by other callers. */
static const char *fb_iomem_and_ioremap(void)
{
    if (!on_pagewise()) {
        out("# %s: the names are Pagewise's: skipped\n", __func__);
        return PASS;
    }
    static char text[16384];
    CHECK(slurp("/proc/iomem", text, sizeof(text)) > 0, "read /proc/iomem: %s", errname(errno));
    CHECK(strstr(text, "PCI display 1234:1111 video RAM") && strstr(text, "PCI display 1234:1111 registers"),
          "/proc/iomem does not show the display's BARs");
    CHECK(slurp("/proc/vmallocinfo", text, sizeof(text)) > 0, "read /proc/vmallocinfo: %s", errname(errno));
    int ioremaps = 0;
    for (const char *p = text; (p = strstr(p, " ioremap\n")); p++) {
        const char *line = p;
        while (line > text && line[-1] != '\n')
            line--;
        ioremaps += strstr(line, " fb_") != NULL && strstr(line, " fb_") < p;
    }
    CHECK(ioremaps == 2, "%d ioremap lines by fb_* in /proc/vmallocinfo, want 2 (video RAM, registers)", ioremaps);
    return PASS;
}

static const struct test tests[] = {
    TEST(fb_mode_and_memory),
    TEST(fb_write_read_back),
    TEST(fb_iomem_and_ioremap),
};

int main(int argc, char **argv) { return run_tests(argc, argv, tests, NTESTS(tests)); }
