/* user/hello.c - the smallest demo: print, show argv, exit 0. Built with
 * musl-gcc -static, it runs unchanged on Linux and on Pagewise. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("hello from pid %d:", (int)getpid());
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
}
