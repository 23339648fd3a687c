"""The guard's memory: an append-only audit trail of what it saw and did, and what it learns from it.

``records`` defines one line of the trail; ``store`` how a trail is read and appended to (a local
directory here; a branch of the repository through the GitHub API elsewhere); ``flaky`` and
``rates`` are pure functions over records.
"""
