import { Link } from 'wouter';

/** A vehicle's page, named by its plate (plates read left to right in either language). */
export function VehicleLink({ id, plate }: { id: string; plate: string }) {
  return (
    <Link href={`/vehicles/${id}`} dir="ltr">
      {plate}
    </Link>
  );
}
