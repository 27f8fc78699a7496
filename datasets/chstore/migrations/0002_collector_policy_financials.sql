-- 0002 on this branch (issue-10) is a placeholder for main's
-- 0002_collector_policy_financials.sql (collector, policy, propensity,
-- financials), which needs main's chstore code: it keeps the versions
-- consecutive so that 0003_forecast_snapshots applies here. At merge, take
-- main's file for this path.
SELECT 1;
