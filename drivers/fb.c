/*
 * drivers/fb.c - the display: QEMU's standard VGA adapter (PCI 1234:1111,
 * "Bochs VBE") as /dev/fb0 with Linux's fbdev interface.
 *
 * Everything here is memory-mapped: BAR0 is the video RAM, BAR2 a 4 KiB
 * register window (the Bochs "DISPI" mode registers at +0x500, one 16-bit
 * register each; the classic VGA ports 0x3c0.. mirrored at +0x400). Both
 * are ioremap'ed (mm/ioremap.c): the video RAM write-combining, the
 * registers uncached. A pixel is then an ordinary store: the same mov that
 * writes RAM, sent to the device by the address alone.
 *
 *   /dev/fb0   read/write at a byte offset into the video RAM;
 *              FBIOGET_VSCREENINFO / FBIOGET_FSCREENINFO describe the mode
 *              (640x480, 32 bits per pixel, XRGB8888); mmap puts the video
 *              RAM (then the registers) into a process (mm/pfnmap.c)
 */
#include "drivers/fb.h"

#include "drivers/pci.h"
#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "mm/ioremap.h"
#include "mm/page.h"

#define BOCHS_VENDOR 0x1234
#define BOCHS_DEVICE 0x1111
#define PCI_DEVICE_ID 0x02
#define PCI_BAR0 0x10
#define PCI_BAR2 0x18
#define PCI_BAR_MEM_MASK 0xfffffff0u
#define PCI_COMMAND_MEMORY 0x2
#define PCI_CLASS_DISPLAY 0x03
#define PCI_SUBCLASS_VGA 0x00
#define MMIO_SIZE 0x1000
#define DISPI_OFFSET 0x500 /* in BAR2: DISPI register i at + 2 * i */
#define VGA_PORTS_OFFSET (0x400 - 0x3c0) /* in BAR2: VGA port p at + p + this */
#define VGA_ATTR_INDEX 0x3c0
#define VGA_INPUT_STATUS 0x3da
#define VGA_ATTR_PALETTE_ON 0x20 /* the attribute controller shows the picture */
enum { DISPI_ID, DISPI_XRES, DISPI_YRES, DISPI_BPP, DISPI_ENABLE, DISPI_BANK, DISPI_VIRT_WIDTH, DISPI_VIRT_HEIGHT,
       DISPI_X_OFFSET, DISPI_Y_OFFSET, DISPI_VIDEO_MEMORY_64K };
#define DISPI_ENABLED 0x01
#define DISPI_LFB_ENABLED 0x40
#define FB_XRES 640
#define FB_YRES 480
#define FB_BPP 32
#define VRAM_UNIT (64 * 1024)
/* fbdev (include/uapi/linux/fb.h) */
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
#define FB_TYPE_PACKED_PIXELS 0
#define FB_VISUAL_TRUECOLOR 2
#define FB_MAJOR 29

struct fb_bitfield {
    uint32_t offset, length, msb_right;
};

struct fb_var_screeninfo {
    uint32_t xres, yres, xres_virtual, yres_virtual, xoffset, yoffset, bits_per_pixel, grayscale;
    struct fb_bitfield red, green, blue, transp;
    uint32_t nonstd, activate, height, width, accel_flags;
    uint32_t pixclock, left_margin, right_margin, upper_margin, lower_margin, hsync_len, vsync_len, sync, vmode,
        rotate, colorspace;
    uint32_t reserved[4];
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

_Static_assert(sizeof(struct fb_var_screeninfo) == 160, "Linux's fb_var_screeninfo is 160 bytes");
_Static_assert(sizeof(struct fb_fix_screeninfo) == 80, "Linux's fb_fix_screeninfo is 80 bytes on x86-64");

static struct {
    bool present;
    uint64_t vram_phys, mmio_phys;
    uint32_t vram_size;
    uint8_t *vram;          /* ioremap_wc */
    volatile uint8_t *mmio; /* ioremap_uc */
} fb;

static void dispi_write(unsigned reg, uint16_t v) { *(volatile uint16_t *)(fb.mmio + DISPI_OFFSET + 2 * reg) = v; }
static uint16_t dispi_read(unsigned reg) { return *(volatile uint16_t *)(fb.mmio + DISPI_OFFSET + 2 * reg); }

/* 640x480 at 32 bits per pixel, the linear framebuffer on. */
static void set_mode(void)
{
    dispi_write(DISPI_ENABLE, 0);
    dispi_write(DISPI_XRES, FB_XRES);
    dispi_write(DISPI_YRES, FB_YRES);
    dispi_write(DISPI_BPP, FB_BPP);
    dispi_write(DISPI_VIRT_WIDTH, FB_XRES);
    dispi_write(DISPI_VIRT_HEIGHT, FB_YRES);
    dispi_write(DISPI_X_OFFSET, 0);
    dispi_write(DISPI_Y_OFFSET, 0);
    dispi_write(DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
    (void)fb.mmio[VGA_INPUT_STATUS + VGA_PORTS_OFFSET]; /* reset the attribute flip-flop */
    fb.mmio[VGA_ATTR_INDEX + VGA_PORTS_OFFSET] = VGA_ATTR_PALETTE_ON;
}

static uint32_t fb_bytes(void) { return FB_XRES * FB_YRES * (FB_BPP / 8); }

static long fb_read(struct file *f, char *ubuf, size_t n, uint64_t *pos)
{
    (void)f;
    if (*pos >= fb.vram_size)
        return 0;
    n = n < fb.vram_size - *pos ? n : fb.vram_size - *pos;
    if (copy_to_user(ubuf, fb.vram + *pos, n))
        return -EFAULT;
    *pos += n;
    return (long)n;
}

/* Linux's fb_write: past the end EFBIG, at the end ENOSPC, else as much
 * as fits. */
static long fb_write(struct file *f, const char *ubuf, size_t n, uint64_t *pos)
{
    (void)f;
    if (*pos > fb.vram_size)
        return -EFBIG;
    if (*pos == fb.vram_size)
        return n ? -ENOSPC : 0;
    n = n < fb.vram_size - *pos ? n : fb.vram_size - *pos;
    if (copy_from_user(fb.vram + *pos, ubuf, n))
        return -EFAULT;
    *pos += n;
    return (long)n;
}

static long fb_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
    (void)f;
    if (cmd == FBIOGET_VSCREENINFO) {
        struct fb_var_screeninfo v = {.xres = FB_XRES, .yres = FB_YRES, .xres_virtual = FB_XRES,
                                      .yres_virtual = FB_YRES, .bits_per_pixel = FB_BPP,
                                      .red = {16, 8, 0}, .green = {8, 8, 0}, .blue = {0, 8, 0},
                                      .height = ~0u, .width = ~0u};
        return copy_to_user((void *)arg, &v, sizeof(v)) ? -EFAULT : 0;
    }
    if (cmd == FBIOGET_FSCREENINFO) {
        struct fb_fix_screeninfo x = {.smem_start = fb.vram_phys, .smem_len = fb.vram_size,
                                      .type = FB_TYPE_PACKED_PIXELS, .visual = FB_VISUAL_TRUECOLOR,
                                      .line_length = FB_XRES * (FB_BPP / 8), .mmio_start = fb.mmio_phys,
                                      .mmio_len = MMIO_SIZE};
        strlcpy(x.id, "pagewise-bochs", sizeof(x.id));
        return copy_to_user((void *)arg, &x, sizeof(x)) ? -EFAULT : 0;
    }
    return -ENOTTY;
}

/* mmap: which device pages [off, off + len) of /dev/fb0 are, as Linux's
 * fb_mmap: the video RAM from offset 0, then (the page after its end) the
 * register window, since no acceleration is reported (accel_flags 0);
 * anything not wholly inside one of the two: EINVAL (vm_iomap_memory).
 * Each gets the memory type of the kernel's own mapping of it (Linux's PAT
 * tracking gives a second mapping of a range the first one's type). */
static long fb_mmap(struct file *f, uint64_t off, uint64_t len, struct pfn_range *out)
{
    (void)f;
    uint64_t start = fb.vram_phys, size = fb.vram_size, cache = PAGE_CACHE_WC;
    uint64_t mmio_off = ALIGN_UP((uint64_t)fb.vram_size, PAGE_SIZE);
    if (off >= mmio_off) {
        off -= mmio_off;
        start = fb.mmio_phys;
        size = MMIO_SIZE;
        cache = PAGE_CACHE_UC;
    }
    if (off >= size || len > size - off)
        return -EINVAL;
    *out = (struct pfn_range){.phys = start + off, .window_start = start, .window_end = start + size, .cache = cache};
    return 0;
}

static const struct file_ops fb_ops = {
    .read = fb_read, .write = fb_write, .ioctl = fb_ioctl, .mmap = fb_mmap, .seekable = true};

/* Find the adapter, map its BARs, set the mode, make /dev/fb0. */
void fb_init(void)
{
    struct pci_dev d;
    if (!pci_find_class(PCI_CLASS_DISPLAY, PCI_SUBCLASS_VGA, &d) || pci_read16(d, PCI_VENDOR_ID) != BOCHS_VENDOR ||
        pci_read16(d, PCI_DEVICE_ID) != BOCHS_DEVICE) {
        pr_info("fb: no Bochs VGA adapter (PCI 1234:1111): no /dev/fb0\n");
        return;
    }
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_MEMORY);
    fb.vram_phys = pci_read32(d, PCI_BAR0) & PCI_BAR_MEM_MASK;
    fb.mmio_phys = pci_read32(d, PCI_BAR2) & PCI_BAR_MEM_MASK;
    fb.mmio = ioremap_uc(fb.mmio_phys, MMIO_SIZE);
    if (!fb.mmio)
        return;
    fb.vram_size = (uint32_t)dispi_read(DISPI_VIDEO_MEMORY_64K) * VRAM_UNIT;
    if (fb.vram_size < fb_bytes())
        fb.vram_size = fb_bytes(); /* an old device without the register: at least one screen */
    fb.vram = ioremap_wc(fb.vram_phys, fb.vram_size);
    if (!fb.vram) {
        iounmap((void *)fb.mmio);
        return;
    }
    set_mode();
    memset(fb.vram, 0, fb_bytes());
    struct inode *ino = vfs_add_node("/dev/fb0", S_IFCHR | 0660, &fb_ops);
    if (ino)
        ino->rdev = FB_MAJOR << 8;
    fb.present = true;
    pr_info("fb: Bochs VGA at %02x:%02x.%x: %u MiB video RAM at %#lx (write-combining at %p), registers at %#lx "
            "(uncached); %ux%u, %u bpp: /dev/fb0\n",
            d.bus, d.dev, d.fn, fb.vram_size >> 20, fb.vram_phys, (void *)fb.vram, fb.mmio_phys, FB_XRES, FB_YRES,
            FB_BPP);
}

size_t fb_report_iomem(char *buf, size_t size)
{
    if (!fb.present)
        return 0;
    return (size_t)snprintf(buf, size, "%08lx-%08lx : PCI display 1234:1111 video RAM\n%08lx-%08lx : PCI display "
                                       "1234:1111 registers\n",
                            fb.vram_phys, fb.vram_phys + fb.vram_size - 1, fb.mmio_phys, fb.mmio_phys + MMIO_SIZE - 1);
}
