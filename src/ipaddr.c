/* ipaddr: address and CIDR parsing, matching and the X-Forwarded-For walk. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ipaddr.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0xff, 0xff};

static bool
is_v4_mapped(const uint8_t a[16])
{
	return memcmp(a, v4_mapped_prefix, 12) == 0;
}

bool
ip_parse_addr(const char *s, uint8_t out[16])
{
	uint8_t a[16];

	/* inet_pton refuses leading zeros, blanks and shortened IPv4 forms. */
	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, v4_mapped_prefix, 12);
	} else if (strchr(s, ':') == NULL || inet_pton(AF_INET6, s, a) != 1) {
		return false;
	}
	memcpy(out, a, 16);
	return true;
}

static void
clear_host_bits(uint8_t a[16], unsigned prefix)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff << (8 * (i + 1) - prefix));
	}
}

bool
ip_parse_net(const char *s, struct ip_net *out)
{
	char text[IP_NET_TEXT_MAX];
	const char *slash = strchr(s, '/');
	size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned prefix, max;
	struct ip_net n;

	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (!ip_parse_addr(text, n.addr))
		return false;
	/* A prefix counts the bits of the family it was written in. */
	max = strchr(text, ':') == NULL ? 32 : 128;
	prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1;

		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
			return false;
		for (prefix = 0; *p >= '0' && *p <= '9' && prefix <= 128; p++)
			prefix = prefix * 10 + (unsigned)(*p - '0');
		if (*p != '\0' || prefix > max)
			return false;
	}
	n.prefix = max == 32 ? prefix + 96 : prefix;
	clear_host_bits(n.addr, n.prefix);
	*out = n;
	return true;
}

void
ip_net_format(const struct ip_net *n, char out[IP_NET_TEXT_MAX])
{
	char text[INET6_ADDRSTRLEN];
	bool v4 = is_v4_mapped(n->addr) && n->prefix >= 96;
	unsigned full = v4 ? 32 : 128, prefix = v4 ? n->prefix - 96 : n->prefix;

	if (v4)
		inet_ntop(AF_INET, n->addr + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, n->addr, text, sizeof(text));
	if (prefix == full)
		snprintf(out, IP_NET_TEXT_MAX, "%s", text);
	else
		snprintf(out, IP_NET_TEXT_MAX, "%s/%u", text, prefix);
}

bool
ip_net_contains(const struct ip_net *n, const uint8_t addr[16])
{
	uint8_t a[16];

	memcpy(a, addr, 16);
	clear_host_bits(a, n->prefix);
	return memcmp(a, n->addr, 16) == 0;
}

static bool
is_trusted(const uint8_t a[16], const struct ip_net *trusted, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ip_net_contains(&trusted[i], a))
			return true;
	return false;
}

/* The entry of list that ends at *end (exclusive), trimmed; moves *end before it. */
static bool
previous_entry(const char *list, const char **end, char *out, size_t cap)
{
	const char *e = *end, *b;
	size_t len;

	while (e > list && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	b = e;
	while (b > list && b[-1] != ',')
		b--;
	*end = b > list ? b - 1 : list;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	if (b == e || (size_t)(e - b) >= cap)
		return false;
	len = (size_t)(e - b);
	memcpy(out, b, len);
	out[len] = '\0';
	return true;
}

bool
ip_viewer_address(const char *remote_addr, const char *forwarded_for,
    const struct ip_net *trusted, size_t ntrusted, uint8_t out[16])
{
	char entry[IP_NET_TEXT_MAX];
	const char *end;
	uint8_t a[16];

	if (remote_addr == NULL || !ip_parse_addr(remote_addr, a))
		return false;
	if (forwarded_for != NULL) {
		end = forwarded_for + strlen(forwarded_for);
		/* Only a trusted proxy's word is taken, hop by hop. */
		while (is_trusted(a, trusted, ntrusted) && end > forwarded_for) {
			if (!previous_entry(forwarded_for, &end, entry, sizeof(entry)) ||
			    !ip_parse_addr(entry, a))
				return false;
		}
	}
	memcpy(out, a, 16);
	return true;
}
