// Alert rules over the Application Insights component and the action group they notify. Each rule's
// query is a .kql file beside this one, and each names its runbook section in docs/operations.md
// (FunctionApp.Tests checks that every section exists). The rules are created disabled unless
// alertsEnabled: a disabled rule costs nothing and can be switched on in the portal.

@description('Name of the Application Insights component the rules query.')
param applicationInsightsName string

@description('Switch the rules on (they are created either way).')
param alertsEnabled bool

@description('Who is e-mailed when a rule fires; empty: the action group has no receiver.')
param alertEmail string

@description('The Entra failure ratio (percent of calls, caller-caused errors left out) above which its rule fires.')
param entraFailurePercentThreshold int

@description('Prefix of the rule and action group names.')
param namePrefix string

param location string
param tags object = {}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'tokenfns'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'on-call'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

// splitBy: a column of the query's rows; each value fires and resolves on its own.
// measure: a numeric column compared with threshold; without it, the rule counts the query's rows.
var rules = [
  {
    name: 'credential-failing'
    title: 'A client\'s credential is failing'
    runbook: 'credential-failing'
    severity: 1
    query: loadTextContent('alerts/credential-failing.kql')
    frequency: 'PT5M'
    window: 'PT15M'
    splitBy: 'client'
    measure: ''
    threshold: 0
  }
  {
    name: 'region-circuit-open'
    title: 'A client\'s regional circuit has been open for more than 15 minutes'
    runbook: 'regional-circuit-open'
    severity: 2
    query: loadTextContent('alerts/region-circuit-open.kql')
    frequency: 'PT5M'
    window: 'PT6H'
    splitBy: 'client'
    measure: ''
    threshold: 0
  }
  {
    name: 'table-outage'
    title: 'The token cache Table has been unavailable for more than 5 minutes'
    runbook: 'table-outage'
    severity: 1
    query: loadTextContent('alerts/table-outage.kql')
    frequency: 'PT5M'
    window: 'PT10M'
    splitBy: ''
    measure: ''
    threshold: 0
  }
  {
    name: 'entra-failure-ratio'
    title: 'Calls to Entra fail above the threshold'
    runbook: 'entra-failure-ratio'
    severity: 2
    query: loadTextContent('alerts/entra-failure-ratio.kql')
    frequency: 'PT5M'
    window: 'PT15M'
    splitBy: ''
    measure: 'failurePercent'
    threshold: entraFailurePercentThreshold
  }
  {
    name: 'broker-5xx'
    title: 'The broker answered a request with a 5xx'
    runbook: 'broker-5xx'
    severity: 2
    query: loadTextContent('alerts/broker-5xx.kql')
    frequency: 'PT5M'
    window: 'PT5M'
    splitBy: ''
    measure: ''
    threshold: 0
  }
  {
    name: 'prewarm-target-failing'
    title: 'A pre-warm target failed in two consecutive runs'
    runbook: 'prewarm-target-failing'
    severity: 3
    query: loadTextContent('alerts/prewarm-target-failing.kql')
    frequency: 'PT5M'
    window: 'PT1H'
    splitBy: 'client'
    measure: ''
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'TokenFunctions: ${rule.title}'
      description: 'Runbook: docs/operations.md#${rule.runbook}'
      severity: rule.severity
      enabled: alertsEnabled
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      scopes: [applicationInsights.id]
      autoMitigate: true
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: empty(rule.measure) ? 'Count' : 'Maximum'
            metricMeasureColumn: empty(rule.measure) ? null : rule.measure
            operator: 'GreaterThan'
            threshold: rule.threshold
            dimensions: empty(rule.splitBy)
              ? []
              : [
                  {
                    name: rule.splitBy
                    operator: 'Include'
                    values: ['*']
                  }
                ]
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [actionGroup.id]
        customProperties: {
          runbook: 'docs/operations.md#${rule.runbook}'
        }
      }
    }
  }
]
