SELECT DISTINCT cluster FROM system.clusters ORDER BY cluster
