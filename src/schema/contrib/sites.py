# django.contrib.sites' model, as djq declares it. Left out: the manager's get_current()
# (SITE_ID) and its cache.
from django.db import models


class SiteManager(models.Manager):
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
