# django.contrib.contenttypes' model, as djq declares it (what its migrations create: the
# `name` column of 0001 was removed by 0002). Its manager and methods (get_for_model(),
# model_class(), get_object_for_this_type(), ...) are djq's own, in src/orm/contenttypes.rs.
from django.db import models


class ContentType(models.Model):
    id = models.AutoField(primary_key=True)
    app_label = models.CharField(max_length=100)
    model = models.CharField("python model class name", max_length=100)

    class Meta:
        db_table = "django_content_type"
        unique_together = [["app_label", "model"]]
