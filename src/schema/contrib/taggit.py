# django-taggit's two models (its app `taggit`, what its migrations create), as djq declares
# them; the abstract bases they share with projects' through models are in
# src/schema/models_py/third_party.py (`taggit.models`). A project's `TaggableManager()`
# goes through TaggedItem unless given `through=` (src/orm/taggit.rs has its manager).
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify
from taggit.models import GenericTaggedItemBase, TagBase, TaggedItemBase


class Tag(TagBase):
    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # A new tag's slug is its name's; taken already, the first free `<slug>_<n>`.
        if not self._state.adding or self.slug:
            return super().save(*args, **kwargs)
        self.slug = slugify(self.name, allow_unicode=True)
        try:
            with transaction.atomic():
                return super().save(*args, **kwargs)
        except IntegrityError:
            pass
        taken = set(
            Tag.objects.filter(slug__startswith=self.slug).values_list("slug", flat=True)
        )
        n = 1
        while f"{self.slug}_{n}" in taken:
            n += 1
        self.slug = f"{self.slug}_{n}"
        return super().save(*args, **kwargs)


# taggit writes the bases the other way round; its fields come in definition order (`tag`
# first), which djq follows by the order of the bases.
class TaggedItem(TaggedItemBase, GenericTaggedItemBase):
    def __str__(self):
        return f"{self.content_object} tagged with {self.tag}"

    class Meta:
        unique_together = [["content_type", "object_id", "tag"]]
        indexes = [models.Index(fields=["content_type", "object_id"])]
