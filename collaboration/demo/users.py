"""The demo accounts `manage.py seed` creates, one per role."""

from dataclasses import dataclass

from accounts.roles import Role


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    full_name: str
    reputation: int  # what the community's demo content brings them to (through the ledger)
    expertise: tuple[str, ...]
    bio: str


DEMO_USERS = (
    DemoUser(
        "lena", Role.LEARNER, "Lena Fischer", 12, ("deep-learning",),
        "Biology student teaching herself machine learning, one notebook at a time.",
    ),
    DemoUser(
        "carlos", Role.CONTRIBUTOR, "Carlos Mendes", 140, ("optimization", "deep-learning"),
        "Backend developer moving into ML engineering. Likes clear diagrams and tested code.",
    ),
    DemoUser(
        "rui", Role.REVIEWER, "Rui Tanaka", 420, ("computer-vision", "deep-learning"),
        "Computer-vision engineer. Reviews for correctness first, then for clarity.",
    ),
    DemoUser(
        "eve", Role.EXPERT, "Eve Okafor", 1250, ("transformers", "attention", "nlp"),
        "NLP researcher. Has trained more transformers than she would like to admit.",
    ),
    DemoUser(
        "mo", Role.MODERATOR, "Mo Haddad", 800, ("reinforcement-learning", "probability"),
        "Keeps discussions kind and on topic. Studies reinforcement learning on weekends.",
    ),
    DemoUser(
        "admin", Role.ADMIN, "Site Admin", 50, (),
        "Runs this demo instance.",
    ),
)  # fmt: skip
