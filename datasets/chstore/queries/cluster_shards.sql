-- The servers of a cluster of remote_servers, as the server the store
-- connects to knows them, in shard order. is_local: that server itself.
SELECT toUInt32(shard_num), toUInt32(shard_weight), toUInt32(replica_num), host_name, toUInt16(port), toUInt8(is_local)
FROM system.clusters
WHERE cluster = ?
ORDER BY shard_num, replica_num
