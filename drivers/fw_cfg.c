/*
 * drivers/fw_cfg.c - QEMU fw_cfg over I/O ports (QEMU docs/specs/fw_cfg.txt):
 * write a 16-bit selector to 0x510, then read the item byte by byte from
 * 0x511. Item 0x0000 is the signature "QEMU"; item 0x0019 the file
 * directory: a big-endian count, then entries of
 *     be32 size | be16 select | be16 reserved | char name[56]
 */
#include "drivers/fw_cfg.h"

#include <stdint.h>

#include "kernel/string.h"
#include "kernel/x86.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_LEN 56

static void fw_cfg_read(void *buf, size_t n)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = inb(FW_CFG_PORT_DATA);
}

static uint32_t be32(const uint8_t *b) { return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; }

int fw_cfg_read_file(const char *name, char *buf, size_t size)
{
    char sig[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
    fw_cfg_read(sig, sizeof(sig));
    if (memcmp(sig, "QEMU", 4) != 0)
        return -1;

    uint8_t raw[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
    fw_cfg_read(raw, 4);
    uint32_t count = be32(raw);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t ent[8];
        char fname[FW_CFG_NAME_LEN];
        fw_cfg_read(ent, sizeof(ent));
        fw_cfg_read(fname, sizeof(fname));
        fname[FW_CFG_NAME_LEN - 1] = '\0';
        if (strcmp(fname, name) != 0)
            continue;
        uint32_t len = be32(ent);
        uint16_t select = (uint16_t)(ent[4] << 8 | ent[5]);
        size_t n = len < size - 1 ? len : size - 1;
        outw(FW_CFG_PORT_SEL, select);
        fw_cfg_read(buf, n);
        buf[n] = '\0';
        return (int)n;
    }
    return -1;
}
