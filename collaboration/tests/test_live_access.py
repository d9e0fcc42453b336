"""Rights re-decided on open sockets, in one process (the cross-process matrix is in
tests/test_revocation.py): lost announcements, edits in flight, every kind of sign-in."""

import pytest
from asgiref.sync import sync_to_async
from django.db.models import F

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from collaboration import commit, services
from collaboration.models import (
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Visibility,
)
from collaboration.services import edits
from collaboration.tests.factories import DocumentFactory
from collaboration.tests.live_client import Client, join, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("registry_cleanup"),
]


@sync_to_async
def restricted_document_with_member(role=MemberRole.EDITOR, **kwargs):
    owner, member = UserFactory(), UserFactory()
    document = DocumentFactory(
        owner=owner, content="shared", visibility=Visibility.RESTRICTED, **kwargs
    )
    DocumentMember.objects.create(document=document, user=member, role=role)
    return owner, member, document


async def test_a_lost_announcement_is_caught_by_the_poll(settings):
    """The member is removed behind the bus's back (as if Redis dropped the message):
    the process's poll notices the access version moved and closes the socket."""
    settings.ACCESS_POLL_SECONDS = 0.2
    _owner, member, document = await restricted_document_with_member()
    client, joined = await join(member, document)
    assert joined["type"] == "authenticated"

    def remove_silently():
        DocumentMember.objects.filter(document=document, user=member).delete()
        Document.objects.filter(pk=document.pk).update(access_version=F("access_version") + 1)

    await sync_to_async(remove_silently)()
    error = await client.recv_type("error", timeout=5)
    assert (error["code"], error["reason"]) == ("forbidden", "access_removed")
    assert await client.recv_type("__closed__") == {"type": "__closed__", "code": 4403}


async def test_an_edit_in_flight_when_the_right_goes_is_refused_and_never_committed():
    _owner, member, document = await restricted_document_with_member(edit_policy=EditPolicy.MEMBERS)
    client, _ = await join(member, document)

    def make_viewer_without_telling():
        # The stamp moves in the database; no socket has been told yet.
        DocumentMember.objects.filter(document=document, user=member).update(role=MemberRole.VIEWER)
        Document.objects.filter(pk=document.pk).update(access_version=F("access_version") + 1)

    await sync_to_async(make_viewer_without_telling)()
    await client.send(
        {"type": "edit", "revision": 0, "client_op_id": "late", "edit": {"ops": ["!", 6]}}
    )
    # The commit finds the stamp out of date; the rights are decided again: first the
    # notice, then the refusal of the edit.
    notice = await client.recv_type("access_changed", timeout=5)
    assert notice["can_edit"] is False
    refused = await client.recv_type("error", timeout=5)
    assert (refused["code"], refused["client_op_id"]) == ("forbidden", "late")
    assert not await sync_to_async(Operation.objects.filter(client_op_id="late").exists)()
    await client.close()


async def test_sockets_that_keep_their_rights_keep_editing_across_a_change():
    owner, member, document = await restricted_document_with_member(edit_policy=EditPolicy.MEMBERS)
    other = await make_user()
    await sync_to_async(DocumentMember.objects.create)(
        document=document, user=other, role=MemberRole.EDITOR
    )
    mine, _ = await join(member, document)
    theirs, _ = await join(other, document)
    await sync_to_async(services.document_member_set)(
        document=document, username=other.username, role="viewer", by=owner
    )
    await theirs.recv_type("access_changed", timeout=5)
    await mine.send(
        {"type": "edit", "revision": 0, "client_op_id": "still-mine", "edit": {"ops": [6, "!"]}}
    )
    ack = await mine.recv_type("ack", timeout=5)
    assert ack["revision"] == 1
    assert (await theirs.recv_type("edit", timeout=5))["revision"] == 1  # still reads
    await mine.close()
    await theirs.close()


async def test_signing_out_everywhere_ends_cookie_and_api_key_sockets(client):
    user = await make_user()
    document = await sync_to_async(DocumentFactory)(owner=user, content="mine")
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    page = await Client.open(headers=[(b"origin", b"http://testserver"), (b"cookie", cookie)])
    await page.send({"type": "authenticate", "document_id": str(document.pk)})
    assert (await page.recv())["type"] == "authenticated"
    _key, raw = await sync_to_async(account_services.api_key_create)(user=user, name="bot")
    bot = await Client.open()
    await bot.send({"type": "authenticate", "token": raw})
    assert (await bot.recv())["topics"] == [f"user:{user.pk}"]

    await sync_to_async(account_services.user_sign_out_everywhere)(user=user)
    for socket in (page, bot):
        error = await socket.recv_type("error", timeout=5)
        assert (error["code"], error["reason"]) == ("forbidden", "signed_out")
        assert (await socket.recv_type("__closed__"))["code"] == 4403
    # The key itself still works for a new connection (only its sessions ended).
    bot = await Client.open()
    await bot.send({"type": "authenticate", "token": raw})
    assert (await bot.recv())["type"] == "authenticated"
    await bot.close()


def test_the_commit_path_refuses_an_edit_decided_on_old_access_versions():
    owner = UserFactory()
    document = services.document_create(owner=owner, title="Stamped", content="abc")
    stale = commit.PendingOperation(
        client_op_id="s1", base_revision=0, user_id=owner.pk, ops=[3, "d"], access=(0, 0)
    )
    Document.objects.filter(pk=document.pk).update(access_version=F("access_version") + 1)
    with pytest.raises(commit.AccessStale) as refused:
        commit.commit_operations(document_id=document.pk, pending=[stale])
    assert refused.value.document_version == 1
    assert refused.value.user_versions == {owner.pk: 0}
    document.refresh_from_db()
    assert (document.revision, document.content) == (0, "abc")
    fresh = commit.PendingOperation(
        client_op_id="s2", base_revision=0, user_id=owner.pk, ops=[3, "d"], access=(1, 0)
    )
    (result,), _state = commit.commit_operations(document_id=document.pk, pending=[fresh])
    assert result.committed and result.revision == 1


def test_a_rest_edit_decided_just_before_a_narrowing_is_decided_again(monkeypatch):
    owner, member = UserFactory(), UserFactory()
    document = services.document_create(
        owner=owner, title="Race", content="abc", edit_policy=EditPolicy.MEMBERS
    )
    DocumentMember.objects.create(document=document, user=member, role=MemberRole.EDITOR)
    real_decide = edits._decide

    def narrowed_right_after(document_id, actor):
        stamp = real_decide(document_id, actor)
        # Another request makes the member a viewer between the decision and the commit.
        monkeypatch.setattr(edits, "_decide", real_decide)
        services.document_member_set(
            document=document, username=member.username, role="viewer", by=owner
        )
        return stamp

    monkeypatch.setattr(edits, "_decide", narrowed_right_after)
    with pytest.raises(services.ActionForbidden):
        services.document_apply_operation(
            document_id=document.pk, user=member, base_revision=0, client_op_id="r1",
            ops=[3, "d"],
        )  # fmt: skip
    assert not Operation.objects.filter(client_op_id="r1").exists()
