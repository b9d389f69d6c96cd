from celery import shared_task


@shared_task
def sweep_orphan_files() -> int:
    """Daily: delete stored uploads that no row names (a rolled-back insert's file)."""
    from lms.core.orphans import sweep_orphan_files as sweep

    return len(sweep().removed)
