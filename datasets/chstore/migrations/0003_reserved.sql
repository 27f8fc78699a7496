-- 0003 is another branch's migration; issue 12's event log is 0004. This
-- placeholder only keeps the versions consecutive on the issue-12 branch
-- (migrations() wants 1, 2, 3, ...): the lead drops it at merge, when the
-- other branch's 0003 takes its place.
SELECT 1;
