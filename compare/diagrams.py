"""Encryption-path diagrams: the hops a session's media takes, and where it can be read.

Pure functions over EncryptionPath objects. Each path becomes a row of nodes from one end
of the call to the other; a node says whether media is decrypted there and whether the key
is held there. The templates draw the nodes; `summary` is the same diagram as one sentence
for screen readers.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from platforms.models import EncryptionPath

Connection = EncryptionPath.Connection
DecryptedAt = EncryptionPath.DecryptedAt
KeyHolder = EncryptionPath.KeyHolder

DEFAULT_CONNECTIONS = [Connection.APP, Connection.BROWSER]
OTHER_CONNECTIONS = [Connection.ROOM_SYSTEM, Connection.DIAL_IN, Connection.RECORDING]

# The vendor-side hop where each non-endpoint decryption happens.
DECRYPTING_HOP = {
    DecryptedAt.MEDIA_SERVER: "servers",
    DecryptedAt.CONNECTOR: "connector",
    DecryptedAt.GATEWAY: "gateway",
    DecryptedAt.RECORDING_SERVER: "recording_server",
}


def hop_labels(platform_name):
    return {
        "servers": _("%(p)s servers") % {"p": platform_name},
        "connector": _("Room connector"),
        "gateway": _("Phone gateway"),
        "recording_server": _("Recording server"),
    }


def ends(connection):
    """The two ends of a path: (near end, far end)."""
    return {
        Connection.APP: (_("Your app"), _("Client’s app")),
        Connection.BROWSER: (_("Your browser"), _("Client’s browser")),
        Connection.ROOM_SYSTEM: (_("Your app"), _("Room system")),
        Connection.DIAL_IN: (_("Your app"), _("Client’s phone")),
        Connection.RECORDING: (_("The meeting"), _("Stored recording")),
        Connection.E2EE: (_("Your app"), _("Client’s app")),
    }.get(connection, (_("Your device"), _("Client’s device")))


def vendor_hops(connection, decrypted_at):
    hops = ["servers"]
    extra = {
        Connection.ROOM_SYSTEM: "connector",
        Connection.DIAL_IN: "gateway",
        Connection.RECORDING: "recording_server",
    }.get(connection)
    if extra:
        hops.append(extra)
    decrypting = DECRYPTING_HOP.get(decrypted_at)
    if decrypting and decrypting not in hops:
        hops.append(decrypting)  # the data names a hop this kind of path rarely has: show it
    return hops


@dataclass
class Node:
    label: str
    vendor: bool  # part of the vendor's infrastructure
    decrypts: bool  # media is readable here
    holds_key: bool
    relays_encrypted: bool = False  # passes media on without reading it


def nodes(path, platform_name):
    """The path's hops in order, each marked with decryption and key."""
    near, far = ends(path.connection)
    labels = hop_labels(platform_name)
    at_ends = path.decrypted_at == DecryptedAt.ENDPOINTS
    decrypting_hop = DECRYPTING_HOP.get(path.decrypted_at)
    key = path.key_holder
    result = [
        Node(
            near,
            vendor=False,
            decrypts=at_ends,
            holds_key=key in {KeyHolder.HOST, KeyHolder.PARTICIPANTS},
        )
    ]
    for hop in vendor_hops(path.connection, path.decrypted_at):
        result.append(
            Node(
                labels[hop],
                vendor=True,
                decrypts=hop == decrypting_hop,
                holds_key=hop == "servers" and key == KeyHolder.VENDOR,
                relays_encrypted=at_ends,
            )
        )
    result.append(
        Node(far, vendor=False, decrypts=at_ends, holds_key=key == KeyHolder.PARTICIPANTS)
    )
    return result


def summary(path, hops):
    """The diagram as one sentence, for screen readers and the print-out."""
    return _(
        "%(connection)s: media goes from %(route)s. Decrypted at: %(where)s. "
        "Key held by: %(holder)s."
    ) % {
        "connection": path.get_connection_display(),
        "route": _(" to ").join(node.label for node in hops),
        "where": path.get_decrypted_at_display().lower(),
        "holder": path.get_key_holder_display().lower(),
    }


def annotate(paths, platform_name):
    """Give each path its `.nodes` and `.summary`; returns the paths."""
    for path in paths:
        path.nodes = nodes(path, platform_name)
        path.summary = summary(path, path.nodes)
    return paths


def diagram(paths, platform_name):
    """The paths arranged as drawn: default mode beside end-to-end mode, then the others."""
    paths = annotate(list(paths), platform_name)
    order = [*DEFAULT_CONNECTIONS, Connection.E2EE, *OTHER_CONNECTIONS]

    def rank(path):
        return order.index(path.connection) if path.connection in order else len(order)

    paths.sort(key=rank)
    return {
        "default": [p for p in paths if p.connection in DEFAULT_CONNECTIONS],
        "e2ee": [p for p in paths if p.connection == Connection.E2EE],
        "others": [
            p for p in paths if p.connection not in {*DEFAULT_CONNECTIONS, Connection.E2EE}
        ],
        "all": paths,
    }
