/**
 * ECharts, tree-shaken: the core and only the charts and components the dashboards draw, on the canvas
 * renderer. The analyst page imports this module dynamically (`import("./echarts")`), so it is a chunk of
 * its own: the student page and the other staff pages never load it, and the analyst's page shows its
 * controls and tables before the charts arrive.
 */
import { BarChart, CustomChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { init, use } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

use([BarChart, LineChart, ScatterChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, CanvasRenderer]);

export { init };
