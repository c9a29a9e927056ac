// Joins two TAP devices in two network namespaces: every frame read from one is
// written to the other, one read(2) and one write(2) per frame (no offloads), like
// synack's own TAP link. The kernel's TCP at both ends of it is the reference that
// tests/interop/test_discard.sh and bench/echo_flows.sh measure synack against.
// Usage: tap_relay NS_A TAP_A NS_B TAP_B (prints "relay ready" on stderr).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
static int open_tap(const char *ns, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/run/netns/%s", ns);
  int nsfd = open(path, O_RDONLY);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) return -1;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) return -1;
  return fd;
}
int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int a = open_tap(argv[1], argv[2]), b = open_tap(argv[3], argv[4]);
  if (a < 0 || b < 0) { perror("relay"); return 1; }
  fprintf(stderr, "relay ready\n");
  struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[65536];
  for (;;) {
    if (poll(p, 2, -1) < 0) return 1;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & POLLIN)) continue;
      for (int k = 0; k < 64; ++k) {
        ssize_t n = read(p[i].fd, buf, sizeof buf);
        if (n <= 0) break;
        if (write(p[1 - i].fd, buf, (size_t)n) < 0) { /* full queue: a lost frame */ }
      }
    }
  }
}
