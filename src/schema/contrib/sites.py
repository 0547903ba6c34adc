# django.contrib.sites' model, as djq declares it. Left out: get_current(request) by the
# request's host (a shell has no requests).
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

SITE_CACHE = {}


class SiteManager(models.Manager):
    def _get_site_by_id(self, site_id):
        if site_id not in SITE_CACHE:
            site = self.get(pk=site_id)
            SITE_CACHE[site_id] = site
        return SITE_CACHE[site_id]

    def get_current(self, request=None):
        if getattr(settings, "SITE_ID", ""):
            return self._get_site_by_id(settings.SITE_ID)
        raise ImproperlyConfigured(
            'You\'re using the Django "sites framework" without having '
            "set the SITE_ID setting. Create a site in your database and "
            "set the SITE_ID setting or pass a request to "
            "Site.objects.get_current() to fix this error."
        )

    def clear_cache(self):
        SITE_CACHE.clear()

    def get_by_natural_key(self, domain):
        return self.get(domain=domain)


class Site(models.Model):
    domain = models.CharField("domain name", max_length=100, unique=True)
    name = models.CharField("display name", max_length=50)

    objects = SiteManager()

    class Meta:
        db_table = "django_site"
        verbose_name = "site"
        verbose_name_plural = "sites"
        ordering = ["domain"]

    def __str__(self):
        return self.domain

    def natural_key(self):
        return (self.domain,)
