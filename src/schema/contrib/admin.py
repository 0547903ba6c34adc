# django.contrib.admin's model, as djq declares it. `user` points at AUTH_USER_MODEL. Left
# out: the manager's log_actions(), get_change_message()'s reading of JSON messages (the
# message is shown as stored), get_admin_url() (no URLconf).
from django.conf import settings
from django.db import models
from django.utils import timezone

ADDITION = 1
CHANGE = 2
DELETION = 3

ACTION_FLAG_CHOICES = [
    (ADDITION, "Addition"),
    (CHANGE, "Change"),
    (DELETION, "Deletion"),
]


class LogEntryManager(models.Manager):
    pass


class LogEntry(models.Model):
    action_time = models.DateTimeField("action time", default=timezone.now, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, verbose_name="user")
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        models.SET_NULL,
        verbose_name="content type",
        blank=True,
        null=True,
    )
    object_id = models.TextField("object id", blank=True, null=True)
    object_repr = models.CharField("object repr", max_length=200)
    action_flag = models.PositiveSmallIntegerField("action flag", choices=ACTION_FLAG_CHOICES)
    change_message = models.TextField("change message", blank=True)

    objects = LogEntryManager()

    class Meta:
        verbose_name = "log entry"
        verbose_name_plural = "log entries"
        db_table = "django_admin_log"
        ordering = ["-action_time"]

    def __repr__(self):
        return str(self.action_time)

    def __str__(self):
        if self.is_addition():
            return "Added “%(object)s”." % {"object": self.object_repr}
        elif self.is_change():
            return "Changed “%(object)s” — %(changes)s" % {
                "object": self.object_repr,
                "changes": self.get_change_message(),
            }
        elif self.is_deletion():
            return "Deleted “%(object)s.”" % {"object": self.object_repr}
        return "LogEntry Object"

    def is_addition(self):
        return self.action_flag == ADDITION

    def is_change(self):
        return self.action_flag == CHANGE

    def is_deletion(self):
        return self.action_flag == DELETION

    def get_change_message(self):
        return self.change_message

    def get_edited_object(self):
        return self.content_type.get_object_for_this_type(pk=self.object_id)
