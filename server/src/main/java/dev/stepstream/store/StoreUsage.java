package dev.stepstream.store;

/**
 * The disk a store takes (docs/operations.md, "Disk").
 *
 * @param sizeBytes        SQLite: the database file and its write-ahead log; PostgreSQL: the
 *                         tables of stepstream's schema with their indexes and TOAST
 * @param reclaimableBytes SQLite: free pages inside the file, which the sweeper gives back to
 *                         the file system; PostgreSQL: 0, as its free space is reused in place
 */
public record StoreUsage(long sizeBytes, long reclaimableBytes) {}
