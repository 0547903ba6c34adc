# django.contrib.redirects' model, as djq declares it.
from django.db import models


class Redirect(models.Model):
    site = models.ForeignKey("sites.Site", models.CASCADE, verbose_name="site")
    old_path = models.CharField("redirect from", max_length=200, db_index=True)
    new_path = models.CharField("redirect to", max_length=200, blank=True)

    class Meta:
        verbose_name = "redirect"
        verbose_name_plural = "redirects"
        db_table = "django_redirect"
        unique_together = [["site", "old_path"]]
        ordering = ["old_path"]

    def __str__(self):
        return "%s ---> %s" % (self.old_path, self.new_path)
