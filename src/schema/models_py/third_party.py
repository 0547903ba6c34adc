# Stand-ins for the model base classes of third-party packages that projects' models.py files
# build on: the fields each adds, as the package declares them. Read by djq as if it were the
# package's module (`# module:` starts one); never run.

# module: mptt.managers
from django.db import models


class TreeManager(models.Manager):
    # Nodes come in tree order.
    def get_queryset(self, *args, **kwargs):
        return super().get_queryset(*args, **kwargs).order_by("tree_id", "lft")

# module: mptt.models
from django.db import models
from mptt.managers import TreeManager


class MPTTModel(models.Model):
    # django-mptt adds its tree fields once the model is built: after the model's own.
    _djq_fields_after_own = True
    lft = models.PositiveIntegerField(editable=False)
    rght = models.PositiveIntegerField(editable=False)
    tree_id = models.PositiveIntegerField(db_index=True, editable=False)
    level = models.PositiveIntegerField(editable=False)

    objects = TreeManager()

    class Meta:
        abstract = True

# module: treebeard.mp_tree
from django.db import models


class MP_NodeManager(models.Manager):
    # Nodes come in path order.
    def get_queryset(self):
        return super().get_queryset().order_by("path")


class MP_Node(models.Model):
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveIntegerField()
    numchild = models.PositiveIntegerField(default=0)

    objects = MP_NodeManager()

    class Meta:
        abstract = True

# module: treebeard.ns_tree
from django.db import models


class NS_NodeManager(models.Manager):
    # Nodes come in tree order.
    def get_queryset(self):
        return super().get_queryset().order_by("tree_id", "lft")


class NS_Node(models.Model):
    lft = models.PositiveIntegerField(db_index=True)
    rgt = models.PositiveIntegerField(db_index=True)
    tree_id = models.PositiveIntegerField(db_index=True)
    depth = models.PositiveIntegerField(db_index=True)

    objects = NS_NodeManager()

    class Meta:
        abstract = True

# module: treebeard.al_tree
from django.db import models


class AL_NodeManager(models.Manager):
    # Siblings together, by the model's `node_order_by` or else their `sib_order` (the
    # stand-in's own class attributes are not the model's: getattr's default is AL_Node's).
    def get_queryset(self):
        if getattr(self.model, "node_order_by", None):
            order_by = ["parent"] + list(self.model.node_order_by)
        else:
            order_by = ["parent", "sib_order"]
        return super().get_queryset().order_by(*order_by)


class AL_Node(models.Model):
    objects = AL_NodeManager()

    class Meta:
        abstract = True

# module: model_utils.models
from django.db import models


class TimeStampedModel(models.Model):
    created = models.DateTimeField(editable=False)
    modified = models.DateTimeField(editable=False)

    class Meta:
        abstract = True


class SoftDeletableModel(models.Model):
    is_removed = models.BooleanField(default=False)

    class Meta:
        abstract = True


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, editable=False)

    class Meta:
        abstract = True

# module: django_extensions.db.models
from django.db import models


class TimeStampedModel(models.Model):
    created = models.DateTimeField(editable=False)
    modified = models.DateTimeField(editable=False)

    class Meta:
        abstract = True


class TitleDescriptionModel(models.Model):
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True, null=True)

    class Meta:
        abstract = True

# module: polymorphic.models
from django.db import models


class PolymorphicModel(models.Model):
    polymorphic_ctype = models.ForeignKey(
        "contenttypes.ContentType",
        null=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="polymorphic_%(app_label)s.%(class)s_set+",
    )

    class Meta:
        abstract = True

# module: taggit.models
# django-taggit's abstract bases, which projects' through models build on; its two models,
# Tag and TaggedItem, are declared in src/schema/contrib/taggit.py.
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models


class TagBase(models.Model):
    name = models.CharField(unique=True, max_length=100)
    slug = models.SlugField(unique=True, max_length=100, allow_unicode=True)

    class Meta:
        abstract = True


class ItemBase(models.Model):
    class Meta:
        abstract = True


class TaggedItemBase(ItemBase):
    tag = models.ForeignKey(
        "taggit.Tag", related_name="%(app_label)s_%(class)s_items", on_delete=models.CASCADE
    )

    class Meta:
        abstract = True


class CommonGenericTaggedItemBase(ItemBase):
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        related_name="%(app_label)s_%(class)s_tagged_items",
        on_delete=models.CASCADE,
    )
    content_object = GenericForeignKey()

    class Meta:
        abstract = True


class GenericTaggedItemBase(CommonGenericTaggedItemBase):
    object_id = models.IntegerField(db_index=True)

    class Meta:
        abstract = True


class GenericUUIDTaggedItemBase(CommonGenericTaggedItemBase):
    object_id = models.UUIDField(db_index=True)

    class Meta:
        abstract = True
