/** api-versions accepted per resource provider (the pinned SDKs' versions first). */
export const API_VERSIONS: Record<string, string[]> = {
  'Microsoft.Web': ['2025-05-01', '2024-11-01', '2024-04-01', '2023-12-01', '2023-01-01', '2022-09-01'],
  'Microsoft.Network': ['2025-05-01', '2024-07-01', '2024-05-01', '2024-03-01', '2024-01-01'],
  'Microsoft.Insights': ['2015-04-01'],
  'Microsoft.ResourceGraph': ['2024-04-01'],
};

export const SDK_API_VERSION: Record<string, string> = {
  'Microsoft.Web': '2025-05-01',
  'Microsoft.Network': '2025-05-01',
  'Microsoft.Insights': '2015-04-01',
  'Microsoft.ResourceGraph': '2024-04-01',
};
