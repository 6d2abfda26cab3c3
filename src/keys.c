/* keys: secret files (checked before use) and HMAC through OpenSSL. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "keys.h"

static size_t
read_all(int fd, unsigned char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

bool
key_read_secret(const char *path, unsigned char **secret, size_t *len,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t n;
	struct stat st;
	bool ok = false;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open secret_file %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret_file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen, "secret_file %s is accessible by every user "
		    "(mode %03o); chmod o-rw it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	/* One byte more than allowed, to tell "too long" from "exactly max". */
	buf = OPENSSL_secure_malloc(KEY_SECRET_MAX + 3);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = read_all(fd, buf, KEY_SECRET_MAX + 3);
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n < KEY_SECRET_MIN) {
		snprintf(err, errlen, "secret_file %s holds %zu bytes, at least %d "
		    "are needed", path, n, KEY_SECRET_MIN);
		goto out;
	}
	if (n > KEY_SECRET_MAX) {
		snprintf(err, errlen, "secret_file %s is longer than %d bytes",
		    path, KEY_SECRET_MAX);
		goto out;
	}
	*secret = buf;
	*len = n;
	buf = NULL;
	ok = true;
out:
	if (buf != NULL)
		OPENSSL_secure_clear_free(buf, KEY_SECRET_MAX + 3);
	close(fd);
	return ok;
}

void
key_free_secret(unsigned char *secret, size_t len)
{
	(void)len;
	if (secret != NULL)
		OPENSSL_secure_clear_free(secret, KEY_SECRET_MAX + 3);
}

static const EVP_MD *
alg_md(enum key_alg alg)
{
	switch (alg) {
	case ALG_HS256: return EVP_sha256();
	case ALG_HS384: return EVP_sha384();
	case ALG_HS512: return EVP_sha512();
	}
	return NULL;
}

size_t
key_hmac(const struct key *key, const void *data, size_t len,
    unsigned char mac[KEY_MAC_MAX])
{
	unsigned int mac_len = 0;

	if (HMAC(alg_md(key->alg), key->secret, (int)key->secret_len, data, len,
	    mac, &mac_len) == NULL)
		return 0;
	return mac_len;
}

bool
key_random(unsigned char *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1;
}
