import factory

from peyvand.accounts.models import Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"user{number}")
    first_name = "کاربر"
    last_name = factory.Sequence(lambda number: f"شماره {number}")
    role = Role.SALES
    language = "fa"
    password = factory.PostGenerationMethodCall("set_password", "Pass-word-123")
