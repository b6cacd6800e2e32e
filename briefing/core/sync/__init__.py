"""Reading through a feed server (Miniflux, FreshRSS, Inoreader...) instead of
fetching each feed: ``[sync]`` in feeds.toml.

One module per job:

* ``account``   the account of ``[sync]`` and its secret (``password_env`` or
                ``password_command``), never printed
* ``transport`` the HTTP seam the clients use (method, headers, body), on the
                standard library for now
* ``server``    what both clients return (feeds, entries, marks), their errors,
                and the answer helpers they share
* ``client``    what both clients share: account, transport, the secret, sending
* ``greader``   the Google Reader API client (the subset real servers answer alike)
* ``miniflux``  Miniflux's own REST API client
* ``reconcile`` the rule that decides, per article and mark, who wins
* ``queue``     marks made here waiting for the server, kept in the store
* ``state``     what the store keeps of the server (its feeds, ids, last marks)
* ``engine``    one refresh through the server: pull, reconcile, store, push

Nothing here imports Textual or Rich, and the articles go into the store by
the same path as fetched feeds (``BriefingService._store_outcome``).
"""
