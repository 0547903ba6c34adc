# django.contrib.sessions' model, as djq declares it. The part above the `# The app's models`
# line is also what a project's models.py imports from `django.contrib.sessions.base_session`.
# Left out: the session store (`get_decoded()`, the manager's `encode()`/`save()`).
from django.db import models


class BaseSessionManager(models.Manager):
    pass


class AbstractBaseSession(models.Model):
    session_key = models.CharField("session key", max_length=40, primary_key=True)
    session_data = models.TextField("session data")
    expire_date = models.DateTimeField("expire date", db_index=True)

    objects = BaseSessionManager()

    class Meta:
        abstract = True
        verbose_name = "session"
        verbose_name_plural = "sessions"

    def __str__(self):
        return self.session_key


# The app's models


class SessionManager(BaseSessionManager):
    pass


class Session(AbstractBaseSession):
    objects = SessionManager()

    class Meta(AbstractBaseSession.Meta):
        db_table = "django_session"
