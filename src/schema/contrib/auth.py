# django.contrib.auth's models, as djq declares them (Django 6.1's fields, relations, reverse
# names, Meta and managers; what its migrations create). The part above the `# The app's
# models` line is also what a project's models.py imports from `django.contrib.auth.models`
# and `django.contrib.auth.base_user` to build its own user model on (`class
# User(AbstractUser)`). Left out: signals, password validators (Django's are no-ops once a
# password is set), permission backends (`has_perm()` & co.), async methods, email_user().
import unicodedata

from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import models
from django.utils import timezone


class BaseUserManager(models.Manager):
    @classmethod
    def normalize_email(cls, email):
        # The domain part lowercased.
        email = email or ""
        try:
            email_name, domain_part = email.strip().rsplit("@", 1)
        except ValueError:
            pass
        else:
            email = email_name + "@" + domain_part.lower()
        return email

    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: username})


class AbstractBaseUser(models.Model):
    password = models.CharField("password", max_length=128)
    last_login = models.DateTimeField("last login", blank=True, null=True)

    is_active = True

    REQUIRED_FIELDS = []

    class Meta:
        abstract = True

    def __str__(self):
        return self.get_username()

    def get_username(self):
        return getattr(self, self.USERNAME_FIELD)

    def clean(self):
        setattr(self, self.USERNAME_FIELD, self.normalize_username(self.get_username()))

    def natural_key(self):
        return (self.get_username(),)

    @property
    def is_anonymous(self):
        return False

    @property
    def is_authenticated(self):
        return True

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        # A right password hashed with other parameters than today's is hashed again and saved.
        def setter(raw_password):
            self.set_password(raw_password)
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, setter)

    def set_unusable_password(self):
        self.password = make_password(None)

    def has_usable_password(self):
        return is_password_usable(self.password)

    @classmethod
    def get_email_field_name(cls):
        try:
            return cls.EMAIL_FIELD
        except AttributeError:
            return "email"

    @classmethod
    def normalize_username(cls, username):
        return unicodedata.normalize("NFKC", username) if isinstance(username, str) else username


class PermissionsMixin(models.Model):
    is_superuser = models.BooleanField("superuser status", default=False)
    groups = models.ManyToManyField(
        "auth.Group",
        verbose_name="groups",
        blank=True,
        related_name="user_set",
        related_query_name="user",
    )
    user_permissions = models.ManyToManyField(
        "auth.Permission",
        verbose_name="user permissions",
        blank=True,
        related_name="user_set",
        related_query_name="user",
    )

    class Meta:
        abstract = True

    # The permission checks as Django's default AUTHENTICATION_BACKENDS (ModelBackend) answer
    # them. Django caches them on the instance (`_perm_cache`); djq's instances hold model
    # fields only, so each check queries again.
    def _get_permissions(self, obj, from_name):
        if not self.is_active or self.is_anonymous or obj is not None:
            return set()
        if self.is_superuser:
            perms = Permission.objects.all()
        elif from_name == "user":
            perms = self.user_permissions.all()
        else:
            perms = Permission.objects.filter(group__in=self.groups.all())
        perms = perms.values_list("content_type__app_label", "codename").order_by()
        return {"%s.%s" % (ct, name) for ct, name in perms}

    def get_user_permissions(self, obj=None):
        return self._get_permissions(obj, "user")

    def get_group_permissions(self, obj=None):
        return self._get_permissions(obj, "group")

    def get_all_permissions(self, obj=None):
        if not self.is_active or self.is_anonymous or obj is not None:
            return set()
        return self.get_user_permissions() | self.get_group_permissions()

    def has_perm(self, perm, obj=None):
        if self.is_active and self.is_superuser:
            return True
        return self.is_active and perm in self.get_all_permissions(obj)

    def has_perms(self, perm_list, obj=None):
        if isinstance(perm_list, str):
            raise ValueError("perm_list must be an iterable of permissions.")
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label):
        if self.is_active and self.is_superuser:
            return True
        return self.is_active and any(
            perm[: perm.index(".")] == app_label for perm in self.get_all_permissions()
        )


class UserManager(BaseUserManager):
    def _create_user_object(self, username, email, password, **extra_fields):
        if not username:
            raise ValueError("The given username must be set")
        email = self.normalize_email(email)
        username = self.model.normalize_username(username)
        user = self.model(username=username, email=email, **extra_fields)
        user.password = make_password(password)
        return user

    def _create_user(self, username, email, password, **extra_fields):
        user = self._create_user_object(username, email, password, **extra_fields)
        user.save()
        return user

    def create_user(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields.get("is_staff") is not True:
            raise ValueError("Superuser must have is_staff=True.")
        if extra_fields.get("is_superuser") is not True:
            raise ValueError("Superuser must have is_superuser=True.")
        return self._create_user(username, email, password, **extra_fields)


class AbstractUser(AbstractBaseUser, PermissionsMixin):
    username = models.CharField("username", max_length=150, unique=True)
    first_name = models.CharField("first name", max_length=150, blank=True)
    last_name = models.CharField("last name", max_length=150, blank=True)
    email = models.EmailField("email address", blank=True)
    is_staff = models.BooleanField("staff status", default=False)
    is_active = models.BooleanField("active", default=True)
    date_joined = models.DateTimeField("date joined", default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        abstract = True

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self):
        full_name = "%s %s" % (self.first_name, self.last_name)
        return full_name.strip()

    def get_short_name(self):
        return self.first_name


# The app's models


class PermissionManager(models.Manager):
    def get_by_natural_key(self, codename, app_label, model):
        from django.contrib.contenttypes.models import ContentType

        return self.get(
            codename=codename,
            content_type=ContentType.objects.get_by_natural_key(app_label, model),
        )


class Permission(models.Model):
    name = models.CharField("name", max_length=255)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", models.CASCADE, verbose_name="content type"
    )
    codename = models.CharField("codename", max_length=100)

    objects = PermissionManager()

    class Meta:
        verbose_name = "permission"
        verbose_name_plural = "permissions"
        unique_together = [["content_type", "codename"]]
        ordering = ["content_type__app_label", "content_type__model", "codename"]

    def __str__(self):
        return "%s | %s" % (self.content_type, self.name)

    @property
    def user_perm_str(self):
        return f"{self.content_type.app_label}.{self.codename}"

    def natural_key(self):
        return (self.codename, self.content_type.app_label, self.content_type.model)


class GroupManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Group(models.Model):
    name = models.CharField("name", max_length=150, unique=True)
    permissions = models.ManyToManyField(Permission, verbose_name="permissions", blank=True)

    objects = GroupManager()

    class Meta:
        verbose_name = "group"
        verbose_name_plural = "groups"

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


# Left out of the declarations when AUTH_USER_MODEL names another model.
class User(AbstractUser):
    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
