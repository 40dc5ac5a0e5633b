"""PostGraphile 5 as the peer of `make bench`: its npm install, its processes, its Q1-Q3 and
the check that it answers with the same documents as ours (issue 15)."""
