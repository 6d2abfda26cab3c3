/* unit_revoke: the revocation file -- reading, following, appending, compacting. */
#include "unit_fixture.h"

#include "log.h"
#include "revoke.h"

#define NOW 1700000000

static struct fixture fx;
static char path[PATH_MAX];
static char logged[4096];

static void
capture_log(const char *line, size_t len)
{
	size_t used = strlen(logged);

	if (used + len < sizeof(logged)) {
		memcpy(logged + used, line, len);
		logged[used + len] = '\0';
	}
}

static void
fresh_file(const char *text)
{
	unlink(path);
	if (text != NULL)
		fx_write_str(&fx, "revoked", text, 0644);
	logged[0] = '\0';
}

static void
append_raw(const char *text)
{
	FILE *fp = fopen(path, "a");

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

static struct claims
token(const char *sub, const char *azp, const char *jti, int64_t iat)
{
	struct claims c;

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", sub);
	snprintf(c.azp, sizeof(c.azp), "%s", azp);
	snprintf(c.jti, sizeof(c.jti), "%s", jti);
	c.iat = iat;
	return c;
}

static struct revoke *
open_ok(void)
{
	char err[512] = "";
	struct revoke *r = revoke_open(path, NOW, err, sizeof(err));

	EXPECT(r != NULL);
	if (r == NULL)
		printf("#   %s\n", err);
	return r;
}

static void
missing_file_is_an_empty_list(void)
{
	struct claims c = token("cam-1", "backend", "j1", NOW);
	struct revoke *r;

	fresh_file(NULL);
	r = open_ok();
	EXPECT(revoke_count(r) == 0);
	EXPECT(!revoke_applies(r, &c));
	revoke_free(r);
}

static void
jti_entry_revokes_that_token_only(void)
{
	struct claims c = token("cam-1", "backend", "abc_-1", NOW - 10);
	struct claims other = token("cam-1", "backend", "abc_-2", NOW - 10);
	struct revoke *r;

	fresh_file("# revocations\njti abc_-1 1700000000\n\n");
	r = open_ok();
	EXPECT(revoke_count(r) == 1);
	EXPECT(revoke_applies(r, &c));
	EXPECT(!revoke_applies(r, &other));
	revoke_free(r);
}

static void
stream_entry_revokes_tokens_issued_before(void)
{
	struct claims before = token("cam-1", "backend", "a", NOW - 1);
	struct claims at = token("cam-1", "backend", "b", NOW);
	struct claims other = token("cam-2", "backend", "c", NOW - 1);
	struct revoke *r;

	fresh_file("stream cam-1 1700000000\n");
	r = open_ok();
	EXPECT(revoke_applies(r, &before));
	EXPECT(!revoke_applies(r, &at));
	EXPECT(!revoke_applies(r, &other));
	revoke_free(r);
}

static void
client_entry_revokes_tokens_issued_before(void)
{
	struct claims before = token("cam-1", "app", "a", NOW - 100);
	struct claims after = token("cam-1", "app", "b", NOW + 1);
	struct claims other = token("cam-1", "backend", "c", NOW - 100);
	struct revoke *r;

	fresh_file("client app 1700000000\n");
	r = open_ok();
	EXPECT(revoke_applies(r, &before));
	EXPECT(!revoke_applies(r, &after));
	EXPECT(!revoke_applies(r, &other));
	revoke_free(r);
}

static void
latest_before_of_a_stream_wins(void)
{
	struct claims c = token("cam-1", "backend", "a", NOW + 50);
	struct revoke *r;

	fresh_file("stream cam-1 1700000100\nstream cam-1 1700000000\n");
	r = open_ok();
	EXPECT(revoke_count(r) == 1);
	EXPECT(revoke_applies(r, &c));
	revoke_free(r);
}

static void
corrupt_line_reported_with_file_line_others_kept(void)
{
	struct claims first = token("cam-1", "backend", "first", NOW);
	struct claims last = token("cam-1", "backend", "last", NOW);
	struct revoke *r;
	char want[PATH_MAX + 32];

	fresh_file("jti first 1\nbogus\njti last 2\n");
	r = open_ok();
	EXPECT(revoke_count(r) == 2);
	EXPECT(revoke_applies(r, &first));
	EXPECT(revoke_applies(r, &last));
	snprintf(want, sizeof(want), "%s:2: ", path);
	EXPECT(strstr(logged, want) != NULL);
	revoke_free(r);
}

struct corrupt {
	const char *name;
	const char *line;
	size_t len;		/* 0: strlen(line) */
};

static const struct corrupt corrupt_rows[] = {
	{"corrupt_unknown_kind", "token abc 1\n", 0},
	{"corrupt_missing_time", "jti abc\n", 0},
	{"corrupt_time_not_digits", "jti abc 12x\n", 0},
	{"corrupt_negative_time", "jti abc -1\n", 0},
	{"corrupt_time_overflow", "jti abc 99999999999999999999\n", 0},
	{"corrupt_jti_bad_character", "jti ab.c 1\n", 0},
	{"corrupt_jti_too_long", "jti 0123456789012345678901234567890123456789012345678901234567890123 1\n", 0},
	{"corrupt_stream_bad_name", "stream cam/1 1\n", 0},
	{"corrupt_extra_field", "jti abc 1 2\n", 0},
	{"corrupt_double_space", "jti  abc 1\n", 0},
	{"corrupt_nul_byte", "jti a\0b 1\n", 10},
};

static void
corrupt_row(const struct corrupt *row)
{
	struct revoke *r;

	fresh_file(NULL);
	fx_write(&fx, "revoked", row->line, row->len ? row->len : strlen(row->line),
	    0644);
	append_raw("jti ok 1\n");
	r = open_ok();
	EXPECT(revoke_count(r) == 1);
	EXPECT(strstr(logged, ":1: ") != NULL);
	revoke_free(r);
}

static void
append_applies_at_once_and_to_the_file(void)
{
	struct claims c = token("cam-1", "backend", "newjti", NOW);
	char err[512] = "";
	struct revoke *r;
	FILE *fp;
	char line[128] = "";

	fresh_file(NULL);
	r = open_ok();
	EXPECT(revoke_append(r, path, REVOKE_JTI, "newjti", NOW, err, sizeof(err)));
	EXPECT(revoke_applies(r, &c));
	fp = fopen(path, "r");
	EXPECT(fp != NULL);
	if (fp != NULL) {
		EXPECT(fgets(line, sizeof(line), fp) != NULL);
		EXPECT_STR(line, "jti newjti 1700000000\n");
		fclose(fp);
	}
	revoke_free(r);
}

static void
append_refuses_bad_values(void)
{
	char err[512] = "";

	fresh_file(NULL);
	EXPECT(!revoke_append(NULL, path, REVOKE_JTI, "a b", NOW, err, sizeof(err)));
	EXPECT(!revoke_append(NULL, path, REVOKE_JTI, "", NOW, err, sizeof(err)));
	EXPECT(!revoke_append(NULL, path, REVOKE_STREAM, "cam\n1", NOW, err, sizeof(err)));
	EXPECT(!revoke_append(NULL, path, REVOKE_CLIENT, "x", -1, err, sizeof(err)));
	EXPECT(access(path, F_OK) != 0);	/* nothing written */
}

/* Another process appends: seen after the next second's stat, not before. */
static void
other_process_append_seen_within_a_second(void)
{
	struct claims c = token("cam-1", "backend", "later", NOW);
	struct revoke *r;

	fresh_file("jti first 1\n");
	r = open_ok();
	append_raw("jti later 2\n");
	revoke_refresh(r, NOW);
	EXPECT(!revoke_applies(r, &c));	/* at most one stat a second */
	revoke_refresh(r, NOW + 1);
	EXPECT(revoke_applies(r, &c));
	EXPECT(revoke_count(r) == 2);
	revoke_free(r);
}

static void
half_written_line_waits_for_its_end(void)
{
	struct claims c = token("cam-1", "backend", "slow", NOW);
	struct revoke *r;

	fresh_file("jti first 1\njti sl");
	r = open_ok();
	EXPECT(revoke_count(r) == 1);
	append_raw("ow 2\n");
	revoke_refresh(r, NOW + 1);
	EXPECT(revoke_applies(r, &c));
	EXPECT(logged[0] == '\0');	/* never reported as corrupt */
	revoke_free(r);
}

static void
compaction_drops_old_keeps_recent_and_corrupt(void)
{
	struct claims old = token("cam-1", "backend", "old", 1);
	struct claims recent = token("cam-1", "backend", "recent", NOW);
	char err[512] = "", text[512] = "";
	size_t kept = 0, dropped = 0;
	struct revoke *r;
	FILE *fp;
	size_t n;

	fresh_file("jti old 100\nstream cam-2 200\njti recent 1700000000\nbogus line\n");
	r = open_ok();
	EXPECT(revoke_compact(path, NOW - 3600, &kept, &dropped, err, sizeof(err)));
	EXPECT(kept == 2 && dropped == 2);
	fp = fopen(path, "r");
	if (fp != NULL) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		text[n] = '\0';
		fclose(fp);
	}
	EXPECT_STR(text, "jti recent 1700000000\nbogus line\n");
	/* A follower sees a new file and reads it whole. */
	revoke_refresh(r, NOW + 1);
	EXPECT(!revoke_applies(r, &old));
	EXPECT(revoke_applies(r, &recent));
	revoke_free(r);
}

static void
append_after_compaction_lands_in_the_new_file(void)
{
	struct claims c = token("cam-1", "backend", "after", NOW);
	char err[512] = "";
	size_t kept, dropped;
	struct revoke *r;

	fresh_file("jti old 100\n");
	EXPECT(revoke_compact(path, NOW, &kept, &dropped, err, sizeof(err)));
	EXPECT(revoke_append(NULL, path, REVOKE_JTI, "after", NOW, err,
	    sizeof(err)));
	r = open_ok();
	EXPECT(revoke_applies(r, &c));
	EXPECT(revoke_count(r) == 1);
	revoke_free(r);
}

/* Two compactions between two reads: the follower is not fooled by inodes. */
static void
follower_idle_through_two_compactions(void)
{
	struct claims late1 = token("cam-1", "backend", "late1", NOW);
	struct claims late2 = token("cam-1", "backend", "late2", NOW);
	struct claims early = token("cam-1", "backend", "early", NOW);
	char err[512] = "";
	size_t kept, dropped;
	struct revoke *r;

	fresh_file("jti early 1700000000\njti gone 1\n");
	r = open_ok();
	EXPECT(revoke_append(NULL, path, REVOKE_JTI, "late1", NOW, err, sizeof(err)));
	EXPECT(revoke_compact(path, 100, &kept, &dropped, err, sizeof(err)));
	EXPECT(revoke_append(NULL, path, REVOKE_JTI, "late2", NOW, err, sizeof(err)));
	append_raw("# padding padding padding padding padding padding padding\n");
	EXPECT(revoke_compact(path, 100, &kept, &dropped, err, sizeof(err)));
	revoke_refresh(r, NOW + 1);
	EXPECT(revoke_applies(r, &early));
	EXPECT(revoke_applies(r, &late1));
	EXPECT(revoke_applies(r, &late2));
	EXPECT(revoke_count(r) == 3);
	EXPECT(logged[0] == '\0');
	revoke_free(r);
}

/* An operator's line without its newline does not swallow the next entry. */
static void
append_after_unterminated_line_is_a_line_of_its_own(void)
{
	struct claims victim = token("cam-1", "backend", "victim", NOW);
	struct claims a = token("cam-1", "backend", "a", NOW);
	char err[512] = "";
	struct revoke *r;

	fresh_file("jti a 1");
	EXPECT(revoke_append(NULL, path, REVOKE_JTI, "victim", NOW, err,
	    sizeof(err)));
	r = open_ok();
	EXPECT(revoke_applies(r, &victim));
	EXPECT(revoke_applies(r, &a));
	EXPECT(logged[0] == '\0');
	revoke_free(r);
}

/* A file cut short in place is read again from its start. */
static void
file_cut_short_in_place_read_whole(void)
{
	struct claims first = token("cam-1", "backend", "first", NOW);
	struct claims second = token("cam-1", "backend", "second", NOW);
	struct revoke *r;

	fresh_file("jti first 1\njti second 2\n");
	r = open_ok();
	EXPECT(revoke_applies(r, &second));
	EXPECT(truncate(path, 12) == 0);
	revoke_refresh(r, NOW + 1);
	EXPECT(revoke_applies(r, &first));
	EXPECT(!revoke_applies(r, &second));
	revoke_free(r);
}

static void
hundred_thousand_entries_load_and_match(void)
{
	struct claims hit, miss = token("cam-1", "backend", "nope", NOW);
	char jti[32];
	struct revoke *r;
	FILE *fp;
	int i;

	fresh_file(NULL);
	fp = fopen(path, "w");
	EXPECT(fp != NULL);
	if (fp == NULL)
		return;
	for (i = 0; i < 100000; i++)
		fprintf(fp, "jti j%07d %d\n", i, NOW);
	fclose(fp);
	r = open_ok();
	EXPECT(revoke_count(r) == 100000);
	for (i = 0; i < 100000; i += 997) {
		snprintf(jti, sizeof(jti), "j%07d", i);
		hit = token("cam-1", "backend", jti, NOW);
		EXPECT(revoke_applies(r, &hit));
	}
	EXPECT(!revoke_applies(r, &miss));
	revoke_free(r);
}

static void
unreadable_file_is_an_error(void)
{
	char err[512] = "";
	struct revoke *r;

	fresh_file(NULL);
	mkdir(path, 0755);	/* a folder where the file should be */
	r = revoke_open(path, NOW, err, sizeof(err));
	EXPECT(r == NULL);
	EXPECT(strstr(err, "not a regular file") != NULL ||
	    strstr(err, "cannot read") != NULL);
	revoke_free(r);
	rmdir(path);
}

int
main(void)
{
	size_t i;

	if (!fx_init(&fx, "revoke"))
		return 1;
	snprintf(path, sizeof(path), "%s", fx_path(&fx, "revoked"));
	log_set_writer(capture_log);
	RUN(missing_file_is_an_empty_list);
	RUN(jti_entry_revokes_that_token_only);
	RUN(stream_entry_revokes_tokens_issued_before);
	RUN(client_entry_revokes_tokens_issued_before);
	RUN(latest_before_of_a_stream_wins);
	RUN(corrupt_line_reported_with_file_line_others_kept);
	for (i = 0; i < sizeof(corrupt_rows) / sizeof(corrupt_rows[0]); i++)
		RUN_ROW(corrupt_rows[i].name, corrupt_row, &corrupt_rows[i]);
	RUN(append_applies_at_once_and_to_the_file);
	RUN(append_refuses_bad_values);
	RUN(other_process_append_seen_within_a_second);
	RUN(half_written_line_waits_for_its_end);
	RUN(compaction_drops_old_keeps_recent_and_corrupt);
	RUN(append_after_compaction_lands_in_the_new_file);
	RUN(follower_idle_through_two_compactions);
	RUN(append_after_unterminated_line_is_a_line_of_its_own);
	RUN(file_cut_short_in_place_read_whole);
	RUN(hundred_thousand_entries_load_and_match);
	RUN(unreadable_file_is_an_error);
	log_set_writer(NULL);
	fx_cleanup(&fx);
	return tap_done();
}
