/*
 * kernel/vsprintf.c - printf-style formatting into a buffer, for printk,
 * panic and (later) /proc files. Like C's snprintf: returns the length the
 * full output would have, writes at most size-1 bytes plus a NUL.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kernel/printk.h"
#include "kernel/string.h"

struct outbuf {
    char *buf;
    size_t size;
    size_t len; /* bytes the full output needs, may exceed size */
};

static void out_char(struct outbuf *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision; /* -1: none */
};

static void out_padded(struct outbuf *o, const char *s, size_t n, const struct spec *sp)
{
    int pad = sp->width > (int)n ? sp->width - (int)n : 0;
    if (!sp->left)
        while (pad-- > 0)
            out_char(o, ' ');
    for (size_t i = 0; i < n; i++)
        out_char(o, s[i]);
    if (sp->left)
        while (pad-- > 0)
            out_char(o, ' ');
}

static void out_number(struct outbuf *o, uint64_t v, bool negative, unsigned base, bool upper, const struct spec *sp)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    while (n < sp->precision && n < (int)sizeof(tmp))
        tmp[n++] = '0';

    char prefix[3];
    int np = 0;
    if (negative)
        prefix[np++] = '-';
    else if (sp->plus)
        prefix[np++] = '+';
    else if (sp->space)
        prefix[np++] = ' ';
    if (sp->alt && base == 16) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }

    int pad = sp->width - n - np;
    if (!sp->left && !(sp->zero && sp->precision < 0))
        for (; pad > 0; pad--)
            out_char(o, ' ');
    for (int i = 0; i < np; i++)
        out_char(o, prefix[i]);
    if (!sp->left)
        for (; pad > 0; pad--)
            out_char(o, '0');
    while (n)
        out_char(o, tmp[--n]);
    for (; pad > 0; pad--)
        out_char(o, ' ');
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else if (*f == '+')
            sp->plus = true;
        else if (*f == ' ')
            sp->space = true;
        else if (*f == '#')
            sp->alt = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                sp->precision = sp->precision * 10 + (*f++ - '0');
        }
    }
    return f;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct outbuf o = {buf, size, 0};
    va_list ap;
    va_copy(ap, args);

    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            out_char(&o, *f);
            continue;
        }
        struct spec sp;
        f = parse_spec(f + 1, &sp, &ap);

        int longs = 0; /* 0: int, 1: long, 2: long long, -1: short */
        for (;; f++) {
            if (*f == 'l' || *f == 'z' || *f == 't' || *f == 'j')
                longs++;
            else if (*f == 'h')
                longs = -1;
            else
                break;
        }

        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v = longs > 0 ? va_arg(ap, int64_t) : va_arg(ap, int);
            out_number(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = longs > 0 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);
            unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
            out_number(&o, v, false, base, *f == 'X', &sp);
            break;
        }
        case 'p': {
            sp.alt = true;
            sp.zero = true;
            if (sp.width == 0)
                sp.width = 18;
            out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &sp);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t n = sp.precision >= 0 ? strnlen(s, sp.precision) : strlen(s);
            out_padded(&o, s, n, &sp);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_padded(&o, &c, 1, &sp);
            break;
        }
        case '%': out_char(&o, '%'); break;
        case '\0':
            f--; /* a lone % at the end */
            break;
        default: /* unknown conversion: show it as written */ out_char(&o, '%'); out_char(&o, *f);
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
