/*
 * drivers/fw_cfg.c - QEMU fw_cfg over I/O ports (QEMU docs/specs/fw_cfg.txt):
 * write a 16-bit selector to 0x510, then read the item byte by byte from
 * 0x511. Item 0x0000 is the signature "QEMU"; item 0x0019 the file
 * directory: a big-endian count, then entries of
 *     be32 size | be16 select | be16 reserved | char name[56]
 */
#include "drivers/fw_cfg.h"

#include <stdbool.h>
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

static bool fw_cfg_present(void)
{
    char sig[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
    fw_cfg_read(sig, sizeof(sig));
    return memcmp(sig, "QEMU", 4) == 0;
}

int fw_cfg_for_each(void (*fn)(const char *name, uint16_t select, uint32_t size, void *arg), void *arg)
{
    if (!fw_cfg_present())
        return -1;
    uint8_t raw[4];
    outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
    fw_cfg_read(raw, 4);
    uint32_t count = be32(raw);
    /* Read the whole directory first: fn may select other items. */
    for (uint32_t i = 0; i < count; i++) {
        uint8_t ent[8];
        char fname[FW_CFG_NAME_LEN];
        outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
        fw_cfg_read(raw, 4);
        for (uint32_t skip = 0; skip < i; skip++) { /* re-walk to entry i */
            uint8_t junk[8 + FW_CFG_NAME_LEN];
            fw_cfg_read(junk, sizeof(junk));
        }
        fw_cfg_read(ent, sizeof(ent));
        fw_cfg_read(fname, sizeof(fname));
        fname[FW_CFG_NAME_LEN - 1] = '\0';
        fn(fname, (uint16_t)(ent[4] << 8 | ent[5]), be32(ent), arg);
    }
    return (int)count;
}

void fw_cfg_read_item(uint16_t select, void *buf, size_t size)
{
    outw(FW_CFG_PORT_SEL, select);
    fw_cfg_read(buf, size);
}

struct find_ctx {
    const char *name;
    char *buf;
    size_t size;
    int len;
};

static void find_one(const char *name, uint16_t select, uint32_t size, void *arg)
{
    struct find_ctx *c = arg;
    if (c->len >= 0 || strcmp(name, c->name) != 0)
        return;
    size_t n = size < c->size - 1 ? size : c->size - 1;
    fw_cfg_read_item(select, c->buf, n);
    c->buf[n] = '\0';
    c->len = (int)n;
}

int fw_cfg_read_file(const char *name, char *buf, size_t size)
{
    struct find_ctx c = {name, buf, size, -1};
    if (fw_cfg_for_each(find_one, &c) < 0)
        return -1;
    return c.len;
}
