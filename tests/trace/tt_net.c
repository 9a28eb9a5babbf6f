/* tt_net: bind an ephemeral TCP port on loopback, listen, connect to it;
 * bind a UDP port; as root also bind port 80 and setuid to itself (the
 * reasons a workload needs root). Prints the listening port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t l = sizeof(a);
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) < 0 || listen(s, 4) < 0 ||
	    getsockname(s, (void *)&a, &l) < 0)
		return 1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)) < 0)
		return 1;
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in b = { .sin_family = AF_INET, .sin_port = htons(0) };
	b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u < 0 || bind(u, (void *)&b, sizeof(b)) < 0)
		return 1;
	printf("listening %u\n", ntohs(a.sin_port));
	if (geteuid() == 0) {
		int r = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in p = { .sin_family = AF_INET, .sin_port = htons(80) };
		p.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int one = 1;
		setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		printf("bind80 %d\n", bind(r, (void *)&p, sizeof(p)) == 0);
		printf("setuid %d\n", setuid(0) == 0);
	}
	return 0;
}
