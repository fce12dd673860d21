"""RQ side: the jobs that analyse builds and deliver callbacks."""
