/* rsswrap OUTFILE PROG ARGS...: run PROG, wait for it with wait4(2) and write its peak
 * RSS (ru_maxrss, KiB) to OUTFILE; exit with PROG's status.
 *
 * Why not wait4 in the Python driver directly: Linux records the hiwater RSS of the
 * memory image a process had just before execve() into its maxrss, and a child forked
 * from the driver starts with a copy of the driver's image, so every runner would
 * report at least the driver's own peak (70 MB in a quick run). Forked from this tiny
 * program, the runner starts from ~1 MB. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig) {
    if (child > 0) kill(child, sig);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rsswrap OUTFILE PROG [ARGS...]\n");
        return 2;
    }
    child = fork();
    if (child < 0) {
        perror("rsswrap: fork");
        return 2;
    }
    if (child == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rsswrap: cannot run %s: ", argv[2]);
        perror("");
        _exit(127);
    }
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    int status;
    struct rusage ru;
    while (wait4(child, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("rsswrap: wait4");
            return 2;
        }
    }
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%ld\n", ru.ru_maxrss);
        fclose(f);
    }
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
