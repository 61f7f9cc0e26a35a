#define _GNU_SOURCE
#include "process_support.h"
#include <errno.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

int cps_pidfd_open(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

int cps_set_parent_death_signal(int signal) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, signal);
#else
    (void)signal;
    errno = ENOSYS;
    return -1;
#endif
}

pid_t cps_parent_pid(void) { return getppid(); }

#ifdef __linux__
int cps_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cps_epoll_add(int epoll, int fd) {
    struct epoll_event event = {0};
    event.events = EPOLLIN | EPOLLHUP;
    event.data.fd = fd;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

int cps_epoll_remove(int epoll, int fd) { return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL); }

int cps_epoll_wait(int epoll, int *fds, int max) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epoll, events, max, -1);
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
#else
int cps_epoll_create(void) { errno = ENOSYS; return -1; }
int cps_epoll_add(int epoll, int fd) { (void)epoll; (void)fd; errno = ENOSYS; return -1; }
int cps_epoll_remove(int epoll, int fd) { (void)epoll; (void)fd; errno = ENOSYS; return -1; }
int cps_epoll_wait(int epoll, int *fds, int max) { (void)epoll; (void)fds; (void)max; errno = ENOSYS; return -1; }
#endif
