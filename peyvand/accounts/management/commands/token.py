"""``peyvand token create --user U [--scopes …]`` prints a new API token alone on its last line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peyvand.accounts.models import ApiToken, User
from peyvand.accounts.tokens import DEFAULT_SCOPES, api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown once).")
        create.add_argument("--user", required=True, help="username")
        create.add_argument("--name", default="cli", help="a name to recognise the token by")
        create.add_argument(
            "--scopes",
            nargs="+",
            default=list(DEFAULT_SCOPES),
            help="e.g. contacts:read contacts:write or *:read *:write (default)",
        )
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError(f"No token with prefix {options['prefix']}")
            api_token_revoke(token=token)
            self.stdout.write(f"revoked {token.prefix}")
            return
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}")
        if action == "list":
            for token in ApiToken.objects.filter(user=user):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}\t{token.name}\t{' '.join(token.scopes)}\t{state}"
                )
            return
        scopes = [scope for item in options["scopes"] for scope in item.split(",")]
        try:
            token, plain = api_token_create(user=user, name=options["name"], scopes=scopes)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Token {token.prefix} for {user.username}, scopes: {' '.join(token.scopes)}"
        )
        self.stdout.write(plain)
