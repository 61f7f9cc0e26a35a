#ifndef CPROCESS_SUPPORT_H
#define CPROCESS_SUPPORT_H
#include <sys/types.h>

/* A file descriptor that becomes readable when process `pid` exits (Linux pidfd_open),
   or -1 with errno set. */
int cps_pidfd_open(pid_t pid);

/* Asks the kernel to send `signal` to this process when its parent dies (Linux
   PR_SET_PDEATHSIG). Returns 0 or -1 with errno set. */
int cps_set_parent_death_signal(int signal);

/* An epoll instance (close-on-exec), or -1. */
int cps_epoll_create(void);
/* Watches `fd` for input and hang-up. Returns 0 or -1. */
int cps_epoll_add(int epoll, int fd);
/* Stops watching `fd`. */
int cps_epoll_remove(int epoll, int fd);
/* Blocks until some watched fds are ready and writes up to `max` of them to `fds`.
   Returns how many, or -1 (errno EINTR: call again). */
int cps_epoll_wait(int epoll, int *fds, int max);

/* The pid of this process's parent. */
pid_t cps_parent_pid(void);

#endif
