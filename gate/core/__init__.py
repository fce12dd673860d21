"""The pure core: model, build context, code analysis, runner, policy, scan. No Flask, Redis or RQ."""
