"""API endpoints about the caller: who am I, and the list of users to assign work to."""

from __future__ import annotations

from ninja import Router, Schema

from .models import User
from .request import AuthenticatedRequest

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    role: str
    language: str


@router.get("/me", response=UserOut, summary="The authenticated user")
def me(request: AuthenticatedRequest) -> User:
    return request.user


@router.get("/users", response=list[UserOut], summary="Active users (to assign owners)")
def users(request: AuthenticatedRequest) -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("username"))
