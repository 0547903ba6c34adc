"""Rows of the `recipes` fixture (django-taggit's TaggableManager, issue 16): chefs, recipes
tagged through taggit's generic TaggedItem, dishes through their own TaggedDish. Tags are
added with `obj.tags.add(...)`, so taggit makes the Tag rows (and slugs) in that order."""

CHEFS = ["Ada", "Bruno", "Chiara"]

RECIPES = [
    # (title, chef index 1-based or None, minutes, tags)
    ("Pancakes", 1, 20, ["breakfast", "sweet", "quick"]),
    ("Ratatouille", 2, 90, ["vegetarian", "french", "dinner"]),
    ("Omelette", 1, 10, ["breakfast", "quick", "eggs"]),
    ("Risotto", 3, 45, ["italian", "dinner", "vegetarian"]),
    ("Tiramisu", 3, 60, ["italian", "sweet", "Dessert Classics"]),
    ("Toast", None, 5, []),
]

DISHES = [
    # (name, tags)
    ("Soup of the day", ["dinner", "warm"]),
    ("Green salad", ["vegetarian", "quick"]),
    ("Cheese board", []),
]
