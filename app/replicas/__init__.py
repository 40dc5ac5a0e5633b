"""Read replicas: which pool a query's reads use, each replica's state and lag, recent writes.

``ReadRouter`` (router.py) is what the pipeline asks; ``ReplicaSet`` (monitor.py) polls the
replicas in the background; ``RecentWrites`` (recent_writes.py) remembers who just wrote.
"""
