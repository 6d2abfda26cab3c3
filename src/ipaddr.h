/* ipaddr: IPv4/IPv6 addresses and CIDR blocks, for tokens bound to a viewer's address. */
#ifndef ST_IPADDR_H
#define ST_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" and a NUL fit. */
#define IP_NET_TEXT_MAX 64

/*
 * An address or a block. IPv4 is held as its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d, prefix + 96), so that ::ffff:203.0.113.7 and
 * 203.0.113.7 are one address.
 */
struct ip_net {
	uint8_t addr[16];		/* host bits zero */
	unsigned prefix;		/* 0..128 */
};

/*
 * "203.0.113.7", "203.0.113.0/24", "2001:db8::/48", "::ffff:203.0.113.7":
 * false for anything else (leading zeros in IPv4, a prefix out of range,
 * blanks). Host bits under the prefix are cleared.
 */
bool ip_parse_net(const char *s, struct ip_net *out);

/* One address, no prefix: the viewer's, from REMOTE_ADDR or X-Forwarded-For. */
bool ip_parse_addr(const char *s, uint8_t out[16]);

/*
 * The canonical text: IPv4 dotted, IPv6 as RFC 5952 (inet_ntop), with
 * "/N" unless the block is one address; an IPv4-mapped block as IPv4.
 */
void ip_net_format(const struct ip_net *n, char out[IP_NET_TEXT_MAX]);

bool ip_net_contains(const struct ip_net *n, const uint8_t addr[16]);

/*
 * The viewer's address: REMOTE_ADDR, unless that is one of the trusted
 * proxies; then X-Forwarded-For is walked from the right, past addresses
 * of trusted proxies, to the first one outside them (or its leftmost
 * entry). False when no address can be told: REMOTE_ADDR missing or not
 * an address, or an entry of X-Forwarded-For read on the way that is not.
 */
bool ip_viewer_address(const char *remote_addr, const char *forwarded_for,
    const struct ip_net *trusted, size_t ntrusted, uint8_t out[16]);

#endif
