// The on-call workbook, linked to the Application Insights component: every panel's query is a
// .kql file beside this one, loaded as it is (FunctionApp.Tests reads the same files).

@description('Name of the Application Insights component the workbook reads.')
param applicationInsightsName string

@description('Title of the workbook in the portal.')
param displayName string

param location string
param tags object = {}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var panels = [
  {
    title: 'Token requests by cache layer (front, msal, table, miss)'
    query: loadTextContent('workbook/cache-results.kql')
    visualization: 'timechart'
  }
  {
    title: 'Cache hit ratio (%): answered without calling Entra'
    query: loadTextContent('workbook/cache-hit-ratio.kql')
    visualization: 'linechart'
  }
  {
    title: 'Entra calls by endpoint, region and outcome'
    query: loadTextContent('workbook/entra-calls.kql')
    visualization: 'table'
  }
  {
    title: 'Entra latency (ms), p50 and p95, by endpoint and region'
    query: loadTextContent('workbook/entra-latency.kql')
    visualization: 'table'
  }
  {
    title: 'Failovers to the global endpoint and regional circuit changes'
    query: loadTextContent('workbook/failovers-and-circuit.kql')
    visualization: 'barchart'
  }
  {
    title: 'Table and Key Vault failures'
    query: loadTextContent('workbook/table-keyvault-failures.kql')
    visualization: 'barchart'
  }
  {
    title: 'Throttled by Entra (answered 429)'
    query: loadTextContent('workbook/throttling.kql')
    visualization: 'barchart'
  }
  {
    title: 'Pre-warm target outcomes'
    query: loadTextContent('workbook/prewarm-outcomes.kql')
    visualization: 'barchart'
  }
  {
    title: 'Requests by status'
    query: loadTextContent('workbook/requests-by-status.kql')
    visualization: 'timechart'
  }
  {
    title: 'Slowest requests, with the ids to search the logs by'
    query: loadTextContent('workbook/slowest-requests.kql')
    visualization: 'table'
  }
]

var timeRange = {
  type: 9
  name: 'parameters'
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: 'time-range'
        version: 'KqlParameterItem/1.0'
        name: 'TimeRange'
        label: 'Time range'
        type: 4
        isRequired: true
        value: { durationMs: 86400000 }
        typeSettings: {
          selectableValues: [
            { durationMs: 3600000 }
            { durationMs: 14400000 }
            { durationMs: 86400000 }
            { durationMs: 259200000 }
            { durationMs: 604800000 }
          ]
        }
      }
    ]
  }
}

var intro = {
  type: 1
  name: 'intro'
  content: {
    json: '## TokenFunctions\nThe broker\'s own signals (meter and activity source `TokenFunctions`), its requests and its log lines. The alert rules and what to do when one fires: docs/operations.md.'
  }
}

var serialized = {
  version: 'Notebook/1.0'
  items: concat([intro, timeRange], map(range(0, length(panels)), i => {
    type: 3
    name: 'panel-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: panels[i].title
      query: panels[i].query
      queryType: 0
      resourceType: 'microsoft.insights/components'
      timeContextFromParameter: 'TimeRange'
      visualization: panels[i].visualization
      size: 0
    }
  }))
  fallbackResourceIds: [applicationInsights.id]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; this one is stable for the component, so a redeployment updates it.
  name: guid(applicationInsights.id, 'tokenfunctions-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: applicationInsights.id
    version: 'Notebook/1.0'
    serializedData: string(serialized)
  }
}

output id string = workbook.id
