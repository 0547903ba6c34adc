"""Data for the djq multi-column relation test app (app `multicol`), loaded by
tools/build_fixtures.py. Hand-written and deterministic.

Shape: regions 1 (North) and 2 (South); players of both; an enrolment's `region` must be its
player's and its club's for the relations to reach them: the last enrolment names a southern
club with a northern region, so it reaches its player but not its club. Documents have texts
in "en-us" (the active language), in "fi", or both; one English text has no summary; memos
are documents too.
"""
import datetime

REGIONS = ["North", "South"]

# (name, home region)
PLAYERS = [("Ann", 1), ("Bo", 1), ("Cy", 2), ("Di", 2), ("Ed", 1)]

# (name, region)
CLUBS = [("Owls", 1), ("Hawks", 1), ("Gulls", 2)]

# (player, club, region, since): ids (1-based)
ENROLMENTS = [
    (1, 1, 1, datetime.date(2021, 3, 1)),
    (2, 1, 1, datetime.date(2020, 5, 17)),
    (1, 2, 1, datetime.date(2022, 9, 9)),
    (3, 3, 2, datetime.date(2019, 1, 20)),
    (4, 3, 2, datetime.date(2023, 6, 2)),
    (5, 3, 1, datetime.date(2024, 2, 29)),
]

# (region, challenger, opponent)
RIVALRIES = [(1, 1, 2), (2, 3, 4), (1, 5, 1), (2, 4, 3)]

# (code, [(lang, title, summary)])
DOCS = [
    ("D1", [("en-us", "Rules", "How to play"), ("fi", "Säännöt", "Miten pelataan")]),
    ("D2", [("fi", "Kalenteri", None)]),
    ("D3", [("en-us", "Fixtures", None)]),
    ("D4", []),
]

# memos (documents too): (code, urgent, [(lang, title, summary)])
MEMOS = [("M1", True, [("en-us", "Closed Monday", None)]), ("M2", False, [("fi", "Muistio", None)])]
