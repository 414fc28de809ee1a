/*
 * Preloaded after libasan into the (uninstrumented) postmaster. Some library
 * constructors (libgpg-error and gnutls call bindtextdomain(), p11-kit calls
 * newlocale()) run before libasan's own constructor; ASan then initializes
 * lazily inside that call, while glibc holds its gettext or locale lock, and
 * corrupts the lock, so that the process hangs later. Initializing ASan on
 * entry to those two functions avoids it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <locale.h>
#include <stddef.h>

void		__asan_init(void);

char *
bindtextdomain(const char *domain, const char *dirname)
{
	static char *(*real_bindtextdomain) (const char *, const char *);

	__asan_init();
	if (real_bindtextdomain == NULL)
		real_bindtextdomain = (char *(*) (const char *, const char *))
			dlsym(RTLD_NEXT, "bindtextdomain");
	return real_bindtextdomain(domain, dirname);
}

locale_t
newlocale(int category_mask, const char *locale, locale_t base)
{
	static locale_t (*real_newlocale) (int, const char *, locale_t);

	__asan_init();
	if (real_newlocale == NULL)
		real_newlocale = (locale_t (*) (int, const char *, locale_t))
			dlsym(RTLD_NEXT, "newlocale");
	return real_newlocale(category_mask, locale, base);
}
