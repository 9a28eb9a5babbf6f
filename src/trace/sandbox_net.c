/* The sandbox's network: its own namespace with only loopback, brought up
 * here (a new net namespace starts with lo down). */
#include "sandbox_internal.h"

#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int sb_loopback_up(int sock)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = { 0 };
	memcpy(ifr.ifr_name, "lo", 3);
	int rc = s < 0 ? -1 : ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (rc < 0)
		rc = FAIL("bring up the loopback interface", "");
	if (s >= 0)
		close(s);
	return rc;
}
