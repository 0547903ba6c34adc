# django.contrib.flatpages' model, as djq declares it. Left out: get_absolute_url() (no
# URLconf).
from django.db import models


class FlatPage(models.Model):
    url = models.CharField("URL", max_length=100, db_index=True)
    title = models.CharField("title", max_length=200)
    content = models.TextField("content", blank=True)
    enable_comments = models.BooleanField("enable comments", default=False)
    template_name = models.CharField("template name", max_length=70, blank=True)
    registration_required = models.BooleanField("registration required", default=False)
    sites = models.ManyToManyField("sites.Site", verbose_name="sites")

    class Meta:
        db_table = "django_flatpage"
        verbose_name = "flat page"
        verbose_name_plural = "flat pages"
        ordering = ["url"]

    def __str__(self):
        return "%s -- %s" % (self.url, self.title)
