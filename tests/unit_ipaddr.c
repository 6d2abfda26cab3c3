/* unit_ipaddr: addresses, CIDR blocks, normal forms and the X-Forwarded-For walk. */
#include "unit_fixture.h"

#include "ipaddr.h"

struct net_row {
	const char *name;
	const char *in;
	const char *normal;	/* NULL: refused */
};

static const struct net_row net_rows[] = {
	{"ipv4_address", "203.0.113.7", "203.0.113.7"},
	{"ipv4_block", "203.0.113.0/24", "203.0.113.0/24"},
	{"ipv4_host_bits_cleared", "203.0.113.7/24", "203.0.113.0/24"},
	{"ipv4_slash_32_is_the_address", "203.0.113.7/32", "203.0.113.7"},
	{"ipv4_slash_0", "203.0.113.7/0", "0.0.0.0/0"},
	{"ipv6_address_rfc5952", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	{"ipv6_block", "2001:db8::/48", "2001:db8::/48"},
	{"ipv6_host_bits_cleared", "2001:db8:1:2::5/32", "2001:db8::/32"},
	{"ipv6_slash_128_is_the_address", "2001:db8::1/128", "2001:db8::1"},
	{"ipv4_mapped_is_ipv4", "::ffff:203.0.113.7", "203.0.113.7"},
	{"ipv4_mapped_block_is_ipv4_block", "::ffff:203.0.113.0/120", "203.0.113.0/24"},
	{"ipv6_loopback", "::1", "::1"},
	{"refused_empty", "", NULL},
	{"refused_leading_zero_octet", "203.0.113.07", NULL},
	{"refused_short_ipv4", "203.0.113", NULL},
	{"refused_octet_over_255", "203.0.113.256", NULL},
	{"refused_ipv4_prefix_33", "203.0.113.0/33", NULL},
	{"refused_ipv6_prefix_129", "2001:db8::/129", NULL},
	{"refused_prefix_leading_zero", "203.0.113.0/024", NULL},
	{"refused_prefix_empty", "203.0.113.0/", NULL},
	{"refused_prefix_sign", "203.0.113.0/+24", NULL},
	{"refused_prefix_huge", "203.0.113.0/99999999999", NULL},
	{"refused_blank", " 203.0.113.7", NULL},
	{"refused_hostname", "example.com", NULL},
	{"refused_bracketed_ipv6", "[2001:db8::1]", NULL},
	{"refused_ipv6_zone", "fe80::1%eth0", NULL},
	{"refused_two_slashes", "203.0.113.0/24/8", NULL},
};

static void
net_row(const struct net_row *row)
{
	struct ip_net n;
	char text[IP_NET_TEXT_MAX];
	bool ok = ip_parse_net(row->in, &n);

	EXPECT(ok == (row->normal != NULL));
	if (!ok || row->normal == NULL)
		return;
	ip_net_format(&n, text);
	EXPECT_STR(text, row->normal);
}

struct match_row {
	const char *name;
	const char *net;
	const char *addr;
	bool in;
};

static const struct match_row match_rows[] = {
	{"match_ipv4_exact", "203.0.113.7", "203.0.113.7", true},
	{"match_ipv4_other", "203.0.113.7", "203.0.113.8", false},
	{"match_ipv4_block_first", "203.0.113.0/24", "203.0.113.0", true},
	{"match_ipv4_block_last", "203.0.113.0/24", "203.0.113.255", true},
	{"match_ipv4_block_outside", "203.0.113.0/24", "203.0.114.0", false},
	{"match_ipv4_mapped_viewer_matches_ipv4_claim", "203.0.113.7", "::ffff:203.0.113.7", true},
	{"match_ipv4_viewer_matches_ipv4_mapped_block", "::ffff:203.0.113.0/120", "203.0.113.9", true},
	{"match_ipv6_block", "2001:db8::/48", "2001:db8:0:ffff::1", true},
	{"match_ipv6_block_outside", "2001:db8::/48", "2001:db8:1::1", false},
	{"match_ipv4_slash_0_not_ipv6", "0.0.0.0/0", "2001:db8::1", false},
	{"match_ipv4_slash_0_any_ipv4", "0.0.0.0/0", "198.51.100.1", true},
	{"match_ipv6_claim_not_ipv4_viewer", "2001:db8::1", "203.0.113.7", false},
	{"match_odd_prefix", "203.0.113.128/25", "203.0.113.127", false},
	{"match_odd_prefix_inside", "203.0.113.128/25", "203.0.113.200", true},
};

static void
match_row(const struct match_row *row)
{
	struct ip_net n;
	uint8_t a[16];

	EXPECT(ip_parse_net(row->net, &n));
	EXPECT(ip_parse_addr(row->addr, a));
	EXPECT(ip_net_contains(&n, a) == row->in);
}

struct viewer_row {
	const char *name;
	const char *remote;
	const char *xff;
	const char *viewer;	/* NULL: no address can be told */
};

/* Trusted: 10.0.0.0/8 and 2001:db8:ffff::/48 (a CDN and a load balancer). */
static const struct viewer_row viewer_rows[] = {
	{"viewer_remote_addr_alone", "203.0.113.7", NULL, "203.0.113.7"},
	{"viewer_untrusted_remote_ignores_xff", "198.51.100.9", "203.0.113.7", "198.51.100.9"},
	{"viewer_trusted_remote_takes_xff", "10.1.2.3", "203.0.113.7", "203.0.113.7"},
	{"viewer_walks_from_the_right_past_trusted", "10.1.2.3", "203.0.113.7, 10.9.9.9", "203.0.113.7"},
	{"viewer_stops_at_first_untrusted_from_right", "10.1.2.3", "1.1.1.1, 203.0.113.7, 10.9.9.9", "203.0.113.7"},
	{"viewer_spoofed_left_entry_not_believed", "10.1.2.3", "6.6.6.6,203.0.113.7", "203.0.113.7"},
	{"viewer_all_trusted_takes_leftmost", "10.1.2.3", "10.0.0.1, 10.0.0.2", "10.0.0.1"},
	{"viewer_ipv6_proxy", "2001:db8:ffff::1", "2001:db8:1::7", "2001:db8:1::7"},
	{"viewer_ipv4_mapped_remote", "::ffff:203.0.113.7", NULL, "203.0.113.7"},
	{"viewer_bad_entry_on_the_way_refused", "10.1.2.3", "203.0.113.7, bogus", NULL},
	{"viewer_empty_entry_on_the_way_refused", "10.1.2.3", "203.0.113.7,,", NULL},
	{"viewer_bad_entry_beyond_untrusted_ignored", "10.1.2.3", "bogus, 203.0.113.7", "203.0.113.7"},
	{"viewer_no_remote_addr", NULL, "203.0.113.7", NULL},
	{"viewer_bad_remote_addr", "unix:", NULL, NULL},
	{"viewer_port_in_xff_refused", "10.1.2.3", "203.0.113.7:5000", NULL},
};

static void
viewer_row(const struct viewer_row *row)
{
	struct ip_net trusted[2], got, want;
	char text[IP_NET_TEXT_MAX];
	bool ok;

	EXPECT(ip_parse_net("10.0.0.0/8", &trusted[0]));
	EXPECT(ip_parse_net("2001:db8:ffff::/48", &trusted[1]));
	ok = ip_viewer_address(row->remote, row->xff, trusted, 2, got.addr);
	EXPECT(ok == (row->viewer != NULL));
	if (!ok || row->viewer == NULL)
		return;
	got.prefix = 128;
	ip_net_format(&got, text);
	EXPECT(ip_parse_net(row->viewer, &want));
	EXPECT_STR(text, row->viewer);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(net_rows) / sizeof(net_rows[0]); i++)
		RUN_ROW(net_rows[i].name, net_row, &net_rows[i]);
	for (i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++)
		RUN_ROW(match_rows[i].name, match_row, &match_rows[i]);
	for (i = 0; i < sizeof(viewer_rows) / sizeof(viewer_rows[0]); i++)
		RUN_ROW(viewer_rows[i].name, viewer_row, &viewer_rows[i]);
	return tap_done();
}
