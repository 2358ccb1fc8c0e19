from typing import Any

import factory

from peyvand.accounts.models import Role, User

PASSWORD = "Pass-word-123"


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose password is ``PASSWORD`` unless ``password=`` is given."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"user{number}")
    first_name = "کاربر"
    last_name = factory.Sequence(lambda number: f"شماره {number}")
    role = Role.SALES
    language = "fa"

    @factory.post_generation
    def password(self: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
