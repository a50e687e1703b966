/* kernel/cmdline.c - see cmdline.h. */
#include "kernel/cmdline.h"

#include "kernel/compiler.h"
#include "kernel/string.h"

#define CMDLINE_MAX 2048
#define CMDLINE_MAX_WORDS 64

static struct {
    char line[CMDLINE_MAX];  /* as given */
    char words[CMDLINE_MAX]; /* a copy cut into NUL-terminated words */
    const char *word[CMDLINE_MAX_WORDS];
    unsigned nr_words;
} cmdline;

void cmdline_init(const char *boot_cmdline, const char *extra)
{
    size_t n = strlcpy(cmdline.line, boot_cmdline ? boot_cmdline : "", sizeof(cmdline.line));
    if (extra && *extra && n + 1 < sizeof(cmdline.line)) {
        if (n)
            cmdline.line[n++] = ' ';
        strlcpy(cmdline.line + n, extra, sizeof(cmdline.line) - n);
    }
    memcpy(cmdline.words, cmdline.line, sizeof(cmdline.words));
    cmdline.nr_words = 0;
    for (char *p = cmdline.words; *p && cmdline.nr_words < CMDLINE_MAX_WORDS;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = '\0';
        if (!*p)
            break;
        cmdline.word[cmdline.nr_words++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
    }
}

const char *cmdline_string(void) { return cmdline.line; }

const char *cmdline_get(const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    for (unsigned i = 0; i < cmdline.nr_words; i++) {
        const char *w = cmdline.word[i];
        if (strcmp(w, "--") == 0)
            break; /* the rest belongs to init */
        if (strncmp(w, key, klen) != 0)
            continue;
        if (w[klen] == '=')
            found = w + klen + 1;
        else if (w[klen] == '\0')
            found = w + klen;
    }
    return found;
}

bool cmdline_has(const char *key) { return cmdline_get(key) != NULL; }

unsigned cmdline_init_args(const char **words, unsigned max)
{
    unsigned n = 0;
    bool after = false;
    for (unsigned i = 0; i < cmdline.nr_words && n < max; i++) {
        if (after)
            words[n++] = cmdline.word[i];
        else if (strcmp(cmdline.word[i], "--") == 0)
            after = true;
    }
    return n;
}

uint64_t cmdline_parse_size(const char *s)
{
    uint64_t v = 0;
    if (!s || *s < '0' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    switch (*s) {
    case 'k':
    case 'K': return v << 10;
    case 'm':
    case 'M': return v << 20;
    case 'g':
    case 'G': return v << 30;
    case '\0': return v;
    default: return 0;
    }
}
